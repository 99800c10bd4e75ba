// How a name is resolved in a pod, as pure functions over the resolver's files: /etc/resolv.conf as
// kubelet writes it for dnsPolicy ClusterFirst (nameserver = the cluster DNS Service,
// `search NS.svc.cluster.local svc.cluster.local cluster.local`, `options ndots:5`), the order glibc
// tries the search list in, and /etc/hosts (read first, per nsswitch "files dns").
//
// Sources: resolv.conf(5); glibc resolv/res_query.c __res_context_search (the ndots rule, a trailing
// dot makes a name absolute); kubernetes pkg/kubelet/network/dns/dns.go (the ClusterFirst search
// list and ndots:5); https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/.

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  ndots: number;
  /** Other options as written (timeout:1, attempts:2…). */
  options: string[];
}

/** glibc's default when resolv.conf sets no ndots. */
const DEFAULT_NDOTS = 1;
/** glibc caps ndots at 15 (RES_MAXNDOTS). */
const MAX_NDOTS = 15;

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], ndots: DEFAULT_NDOTS, options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...values] = line.split(/\s+/);
    if (keyword === 'nameserver' && values[0] !== undefined) conf.nameservers.push(values[0]);
    // "domain" and "search" are mutually exclusive: the last one wins.
    else if (keyword === 'search') conf.search = values;
    else if (keyword === 'domain' && values[0] !== undefined) conf.search = [values[0]];
    else if (keyword === 'options') {
      for (const option of values) {
        const ndots = /^ndots:(\d+)$/.exec(option);
        if (ndots) conf.ndots = Math.min(Number(ndots[1]), MAX_NDOTS);
        else conf.options.push(option);
      }
    }
  }
  return conf;
}

/** The names glibc asks DNS for, in order, when looking `name` up. */
export function searchCandidates(name: string, conf: Pick<ResolvConf, 'search' | 'ndots'>): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const dots = name.split('.').length - 1;
  const searched = conf.search.map((domain) => `${name}.${domain}`);
  return dots >= conf.ndots ? [name, ...searched] : [...searched, name];
}

/** "search default.svc.cluster.local svc.cluster.local cluster.local, ndots:5, nameserver 10.96.0.10". */
export function describeResolvConf(conf: ResolvConf): string {
  const search = conf.search.length > 0 ? `search ${conf.search.join(' ')}` : 'no search list';
  const servers = conf.nameservers.length > 0 ? `nameserver ${conf.nameservers.join(', ')}` : 'no nameserver';
  return `${search}, ndots:${conf.ndots}, ${servers}`;
}

/** The addresses /etc/hosts gives `name` (case-insensitive, a trailing dot ignored). */
export function hostsFileAddresses(text: string, name: string): string[] {
  const wanted = name.toLowerCase().replace(/\.$/, '');
  const addresses: string[] = [];
  for (const raw of text.split('\n')) {
    const [address, ...names] = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (address && names.some((entry) => entry.toLowerCase() === wanted)) addresses.push(address);
  }
  return addresses;
}
