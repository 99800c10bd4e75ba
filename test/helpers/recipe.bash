# test/helpers/recipe.bash — the curl of "Accessing the Kubernetes API from a Pod"
# (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/), for suites that compare a
# script with it.
#
# Load it after helpers/common, from setup:
#     setup() { load helpers/common; load helpers/recipe; enter_pod_suite; }
# It defines:
#   SA_DIR                          where kubelet mounts the service-account volume
#   CURL_RECIPE                     the recipe's curl as a bash -c script; $1 = URL path; the token is
#                                   read at run time inside the pod
#   curl_in_pod [POD FLAGS] PATH    stdout of CURL_RECIPE for PATH in a pod started with POD FLAGS

SA_DIR=/var/run/secrets/kubernetes.io/serviceaccount
CURL_RECIPE='curl -s --cacert '"$SA_DIR"'/ca.crt -H "Authorization: Bearer $(cat '"$SA_DIR"'/token)" "https://kubernetes.default.svc$1"'

curl_in_pod() {
  local path=${*: -1}
  in_pod "${@:1:$#-1}" -- bash -c "$CURL_RECIPE" _ "$path"
}
