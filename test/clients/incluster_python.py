#!/usr/bin/python3
"""The official Python client in a pod, as "Accessing the Kubernetes API from a Pod"
(https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/) recommends:
load_incluster_config(), read the gateway DaemonSet, then list nodes (which the default service
account may not do).

Usage: incluster_python.py NAMESPACE
Prints `daemonset NAME desired=N ready=N`, then `nodes: HTTP 403 <message>`; exits 0 when both
calls behaved so, 1 otherwise."""
import json
import sys

from kubernetes import client, config
from kubernetes.client.rest import ApiException

namespace = sys.argv[1]
config.load_incluster_config()
daemonset = client.AppsV1Api().read_namespaced_daemon_set("gateway", namespace)
print(f"daemonset {daemonset.metadata.name} desired={daemonset.status.desired_number_scheduled} ready={daemonset.status.number_ready}")
try:
    client.CoreV1Api().list_node()
except ApiException as error:
    print(f"nodes: HTTP {error.status} {json.loads(error.body)['message']}")
    sys.exit(0 if error.status == 403 else 1)
print("nodes: listed, expected 403")
sys.exit(1)
