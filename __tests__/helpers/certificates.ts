/**
 * Certificates made at test time with the openssl command line: a CA, a leaf for localhost and
 * 127.0.0.1, an expired leaf, a leaf for the wrong host, a self-signed leaf, and a client
 * certificate. Written to a temporary folder that `remove()` deletes; nothing is committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  key: string;
  cert: string;
  keyPath: string;
  certPath: string;
}

export interface TestCertificates {
  ca: string;
  caPath: string;
  /** CN=localhost, SAN DNS:localhost, IP:127.0.0.1 */
  leaf: KeyPair;
  /** Like leaf, valid only in 2020. */
  expired: KeyPair;
  /** SAN DNS:wrong.example only. */
  wrongHost: KeyPair;
  /** Signed by nobody we trust. */
  selfSigned: KeyPair;
  /** A client certificate signed by the CA. */
  client: KeyPair;
  /** SAN DNS:streamtask-test-peer.local, for a `.local` service. */
  local: KeyPair;
  remove(): void;
}

export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'streamtask-certs-'));
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

  openssl('req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2',
    '-subj', '/CN=streamtask test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  writeFileSync(path('index.txt'), '');
  writeFileSync(path('serial'), '1000\n');
  writeFileSync(path('ca.cnf'), [
    '[ca]', 'default_ca = test',
    '[test]', `dir = ${dir}`, `database = ${path('index.txt')}`, `new_certs_dir = ${dir}`,
    `serial = ${path('serial')}`, 'default_md = sha256', 'policy = any', 'copy_extensions = copy',
    'unique_subject = no', 'email_in_dn = no',
    '[any]', 'commonName = supplied', '',
  ].join('\n'));

  const read = (name: string): KeyPair => ({
    key: readFileSync(path(`${name}.key`), 'utf8'),
    cert: readFileSync(path(`${name}.crt`), 'utf8'),
    keyPath: path(`${name}.key`),
    certPath: path(`${name}.crt`),
  });
  const signed = (name: string, cn: string, san: string, dates: string[]): KeyPair => {
    openssl('req', '-new', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`,
      ...(san === '' ? [] : ['-addext', `subjectAltName=${san}`]));
    openssl('ca', '-batch', '-notext', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key',
      '-in', `${name}.csr`, '-out', `${name}.crt`, ...dates);
    return read(name);
  };

  const leaf = signed('leaf', 'localhost', 'DNS:localhost,IP:127.0.0.1', ['-days', '2']);
  const expired = signed('expired', 'localhost', 'DNS:localhost,IP:127.0.0.1',
    ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
  const wrongHost = signed('wrong', 'wrong.example', 'DNS:wrong.example', ['-days', '2']);
  const client = signed('client', 'streamtask client', '', ['-days', '2']);
  const local = signed('local', 'streamtask-test-peer.local', 'DNS:streamtask-test-peer.local', ['-days', '2']);
  openssl('req', '-x509', ...newKey, '-keyout', 'self.key', '-out', 'self.crt', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');

  return {
    ca: readFileSync(path('ca.crt'), 'utf8'),
    caPath: path('ca.crt'),
    leaf,
    expired,
    wrongHost,
    selfSigned: read('self'),
    client,
    local,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
