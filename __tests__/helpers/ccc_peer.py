"""An FTP-like peer that can leave TLS and go on in plaintext (FTP's CCC, RFC 4217 §6), written
with Python's ssl module over memory BIOs so it controls every byte on the wire: its close_notify
and the first plaintext line behind it go out in one TCP segment.

argv: certificate, key, mode. Modes decide what the server does on CCC:
  server-first   reply 200, send close_notify + "PLAIN HELLO" at once, then wait for the client's
  client-first   reply 200, wait for the client's close_notify, then send its own + "PLAIN HELLO"
  mute           reply 200, then never send close_notify
  drop           reply 200, then end the TCP stream with a FIN (no close_notify)
Over TLS, "BULK n" answers n bytes of "x" and CRLF; other lines are echoed as "250 <line>".
Prefix "implicit-" to start TLS at the first byte instead of after "AUTH TLS".
Prints the port, then serves connections until stdin closes.
"""
import socket
import ssl
import sys
import threading

certificate, key, mode = sys.argv[1], sys.argv[2], sys.argv[3]
implicit = mode.startswith('implicit-')
mode = mode.removeprefix('implicit-')
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(certificate, key)


class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.plain = b''  # plaintext received, not yet taken
        self.tls = None

    def recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        return data

    def flush(self, extra=b''):
        out = self.tls.outgoing.read() if self.tls else b''
        if out or extra:
            self.sock.sendall(out + extra)

    # -- plaintext
    def plain_line(self):
        while b'\r\n' not in self.plain:
            self.plain += self.recv()
        line, self.plain = self.plain.split(b'\r\n', 1)
        return line.decode()

    # -- TLS over memory BIOs
    def start_tls(self):
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = context.wrap_bio(incoming, outgoing, server_side=True)
        obj.incoming, obj.outgoing, obj.buffer = incoming, outgoing, b''
        incoming.write(self.plain)
        self.plain = b''
        self.tls = obj
        self.retry(obj.do_handshake)

    def retry(self, step):
        while True:
            try:
                result = step()
                self.flush()
                return result
            except ssl.SSLWantReadError:
                self.flush()
                self.tls.incoming.write(self.recv())

    def secure_line(self):
        obj = self.tls
        while b'\r\n' not in obj.buffer:
            try:
                data = self.retry(lambda: obj.read(65536))
            except ssl.SSLZeroReturnError:
                data = b''
            if not data:
                return None  # the client's close_notify
            obj.buffer += data
        line, obj.buffer = obj.buffer.split(b'\r\n', 1)
        return line.decode()

    def secure_send(self, text):
        self.tls.write(text.encode())
        self.flush()

    def stop_tls(self, plaintext):
        """Our close_notify and `plaintext` in one segment; then the client's close_notify."""
        obj = self.tls
        try:
            obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        self.flush(plaintext)
        self.retry(obj.unwrap)
        self.plain = obj.incoming.read()  # behind the client's close_notify: plaintext
        self.tls = None

    def serve(self):
        if implicit:
            self.start_tls()
        else:
            self.sock.sendall(b'220 READY\r\n')
        while True:
            line = self.secure_line() if self.tls else self.plain_line()
            if line is None:
                return
            if self.tls is None:
                if line == 'AUTH TLS':
                    self.sock.sendall(b'234 GO\r\n')
                    self.start_tls()
                elif line == 'PING':
                    self.sock.sendall(b'PONG\r\n')
                elif line == 'QUIT':
                    self.sock.sendall(b'221 BYE\r\n')
                    return
                else:
                    self.sock.sendall(('PLAIN ' + line + '\r\n').encode())
                continue
            if line.startswith('BULK '):
                self.secure_send('x' * int(line[5:]) + '\r\n')
                continue
            if line != 'CCC':
                self.secure_send('250 ' + line + '\r\n')
                continue
            self.secure_send('200 CCC\r\n')
            if mode == 'server-first':
                self.stop_tls(b'PLAIN HELLO\r\n')
            elif mode == 'client-first':
                while self.secure_line() is not None:
                    pass
                self.stop_tls(b'PLAIN HELLO\r\n')
            elif mode == 'mute':
                while True:
                    self.recv()
            elif mode == 'drop':
                # FIN, not RST: closing outright while the client's close_notify sits unread
                # would reset the connection (a different failure), so shut down the write side
                # and read on until the client closes.
                self.sock.shutdown(socket.SHUT_WR)
                while self.sock.recv(65536):
                    pass
                return


def serve(sock):
    try:
        Connection(sock).serve()
    except (EOFError, OSError, ssl.SSLError):
        pass
    finally:
        sock.close()


server = socket.socket()
server.bind(('127.0.0.1', 0))
server.listen(16)
print(server.getsockname()[1], flush=True)


def accept():
    while True:
        try:
            sock, _ = server.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


threading.Thread(target=accept, daemon=True).start()
sys.stdin.read()
