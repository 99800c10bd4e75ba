// Certificates as the doctor reports them: the facts of one X.509 certificate (subject, issuer,
// validity, CA flag, SANs), a PEM bundle's certificates, and the words Go's crypto/x509 uses when a
// host is not in a certificate, so the doctor says what kubectl and client-go say
// (crypto/x509/verify.go HostnameError.Error; kubernetes#64594 shows it for kubernetes.default).

import { X509Certificate } from 'node:crypto';
import type { CertificateFact } from './facts.ts';

/** "CN=kube-apiserver, O=…": a distinguished name on one line. */
function oneLine(name: string): string {
  return name.split('\n').join(', ');
}

export function certificateFact(cert: X509Certificate): CertificateFact {
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    validFrom: new Date(cert.validFrom),
    validTo: new Date(cert.validTo),
    isCa: cert.ca,
    subjectAltNames: (cert.subjectAltName ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
    fingerprint256: cert.fingerprint256,
  };
}

/** Every certificate of a PEM bundle; `error` names the first block that does not parse. */
export function pemCertificates(pem: string): { certificates: CertificateFact[]; error?: string } {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return { certificates: [], error: 'no PEM certificate in it' };
  const certificates: CertificateFact[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      certificates.push(certificateFact(new X509Certificate(block)));
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0];
      return { certificates, error: `certificate ${index + 1} of ${blocks.length} is not a valid X.509 certificate (${reason})` };
    }
  }
  return { certificates };
}

/** An IP as Go prints it: IPv6 compressed (Node's SAN text spells ::1 as 0:0:0:0:0:0:0:1). */
function canonicalIp(ip: string): string {
  return ip.includes(':') ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/** The DNS names and IP addresses of a certificate's subjectAltName. */
export function sanNames(cert: Pick<CertificateFact, 'subjectAltNames'>): { dns: string[]; ips: string[] } {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const entry of cert.subjectAltNames) {
    if (entry.startsWith('DNS:')) dns.push(entry.slice(4));
    else if (entry.startsWith('IP Address:')) ips.push(canonicalIp(entry.slice(11)));
  }
  return { dns, ips };
}

/** Go's x509.HostnameError text for `host` and the certificate (what kubectl prints after "x509: "). */
export function hostnameErrorText(host: string, cert: Pick<CertificateFact, 'subjectAltNames'>): string {
  const { dns, ips } = sanNames(cert);
  const isIp = /^[\d.]+$/.test(host) || host.includes(':');
  if (isIp && ips.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
  const valid = isIp ? ips.join(', ') : dns.join(', ');
  if (valid === '') return `x509: certificate is not valid for any names, but wanted to match ${host}`;
  return `x509: certificate is valid for ${valid}, not ${host}`;
}

/** "CN=kube-apiserver": how a certificate is named in one line. */
export function describeCertificate(cert: Pick<CertificateFact, 'subject'>): string {
  return cert.subject === '' ? '(empty subject)' : cert.subject;
}
