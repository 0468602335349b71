/**
 * How each Debian daemon the tests and the acceptance run use is started (see debian-daemons.ts):
 * its command, a configuration of its own in its folder, and how it stops.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestCertificates } from './certificates.js';
import type { DaemonSpec } from './debian-daemons.js';

/** tinyproxy's one user (Basic authentication). */
export const TINYPROXY_USER = 'alice';
export const TINYPROXY_PASSWORD = 's3cret';

/** tinyproxy as an HTTP CONNECT proxy for loopback clients, with Basic authentication. */
export function tinyproxySpec(): DaemonSpec {
  return {
    command: 'tinyproxy',
    config: {
      file: 'tinyproxy.conf',
      // No ConnectPort line: CONNECT to any port (Debian's own configuration allows 443 and 563).
      text: (port) => [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 30', 'LogLevel Warning', 'MaxClients 50',
        'Allow 127.0.0.1', `BasicAuth ${TINYPROXY_USER} ${TINYPROXY_PASSWORD}`, 'DisableViaHeader Yes', ''].join('\n'),
    },
    args: (configPath) => ['-d', '-c', configPath],
  };
}

/** Dante as a SOCKS5 proxy for loopback clients, without authentication. */
export function danteSpec(): DaemonSpec {
  return {
    command: 'danted',
    config: {
      file: 'danted.conf',
      text: (port) => ['logoutput: stderr', `internal: 127.0.0.1 port = ${port}`, 'external: 127.0.0.1',
        'clientmethod: none', 'socksmethod: none', 'user.privileged: root', 'user.unprivileged: nobody',
        'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }',
        'socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }', ''].join('\n'),
    },
    args: (configPath) => ['-f', configPath, '-N', '1'],
  };
}

/** websocketd running `cat` for each connection: every text message comes back as one. */
export function websocketdSpec(): DaemonSpec {
  return {
    command: 'websocketd',
    args: (_configPath, port) => ['--address=127.0.0.1', `--port=${port}`, '--loglevel=error', 'cat'],
  };
}

/** Dovecot IMAP with STARTTLS (the certificate for localhost); any user, password "pw". */
export function dovecotSpec(certificates: TestCertificates): DaemonSpec {
  return {
    command: 'dovecot',
    config: { file: 'dovecot.conf', text: (port, dir) => dovecotConfig(port, dir, certificates) },
    args: (configPath) => ['-F', '-c', configPath],
    prepare: (dir) => {
      // Mail is kept as nobody, in a home the static userdb names.
      mkdirSync(join(dir, 'home'));
      chmodSync(join(dir, 'home'), 0o777);
    },
  };
}

/** Postfix's smtpd with STARTTLS; every message is discarded once queued. */
export function postfixSpec(certificates: TestCertificates): DaemonSpec {
  return {
    command: 'postfix',
    // An instance of its own, mail discarded once queued. Its configuration folder beside the
    // queue, not above it: its start-up check walks that folder, a log line per file.
    config: { file: 'etc/main.cf', text: (_port, dir) => postfixMainConfig(dir, certificates) },
    prepare: (dir, port) => {
      mkdirSync(join(dir, 'etc'));
      writeFileSync(join(dir, 'etc', 'master.cf'), postfixMasterConfig(port));
      mkdirSync(join(dir, 'queue'));
      mkdirSync(join(dir, 'data'));
      const uid = Number(spawnSync('id', ['-u', 'postfix']).stdout.toString());
      chownSync(join(dir, 'data'), uid, -1);
    },
    args: (configPath) => ['-c', dirname(configPath), 'start-fg'],
    // Its master makes a session of its own: only `postfix stop` reaches it.
    stopCommand: (configPath) => ['postfix', '-c', dirname(configPath), 'stop'],
  };
}

function postfixMainConfig(dir: string, certificates: TestCertificates): string {
  return `compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = streamtask.test
mydestination = streamtask.test, localhost
alias_maps =
alias_database =
local_recipient_maps =
default_transport = discard
local_transport = discard
relay_transport = discard
smtpd_tls_cert_file = ${certificates.leaf.certPath}
smtpd_tls_key_file = ${certificates.leaf.keyPath}
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
maillog_file = ${dir}/maillog
maillog_file_prefixes = ${dir}
smtputf8_enable = no
`;
}

/** smtpd on the test's port, and the services a queued message goes through (not chrooted). */
function postfixMasterConfig(port: number): string {
  return [
    `127.0.0.1:${port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'tlsmgr unix - - n 1000? 1 tlsmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
    '',
  ].join('\n');
}

function dovecotConfig(port: number, dir: string, certificates: TestCertificates): string {
  return `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <${certificates.leaf.certPath}
ssl_key = <${certificates.leaf.keyPath}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
passdb {
  driver = static
  args = password=pw
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/home/%u
}
mail_location = maildir:~/Maildir
default_internal_user = dovecot
default_login_user = dovenull
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}
