// A free TCP port on the loopback interface, for a server a test starts itself (a daemon in its
// own process, a broker, a database). The port is free when returned; the caller binds it soon.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
