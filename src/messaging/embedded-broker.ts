/**
 * An MQTT broker inside this process: Aedes on a TCP port, loopback by default. It serves a
 * run started with `--control` (so `cascade ctl` and `cascade watch` need no broker installed),
 * the tests and the benchmarks. Aedes speaks MQTT 3.1.1 only: connect to it with
 * `protocolVersion: 4`; message expiry, subscription identifiers and retain-as-published do
 * not exist there (see docs/messaging.md).
 *
 * Invariants:
 * - [EMB-1] `close()` ends every client connection and frees the port; the process can exit.
 * - [EMB-2] It listens on loopback unless told otherwise; it has no authentication, and
 *   clients may publish on `$SYS/...` (Aedes' default disconnects them).
 */
import net from 'node:net';
import { Aedes } from 'aedes';

/** Options of {@link EmbeddedBroker.start}. */
export interface EmbeddedBrokerOptions {
  /** Address to listen on (default `127.0.0.1`). [EMB-2] */
  host?: string;
  /** TCP port (default 0: any free port). */
  port?: number;
}

/**
 * An Aedes broker listening on TCP.
 *
 * @example
 * ```ts
 * const broker = await EmbeddedBroker.start();
 * const c = new MqttConnector({ url: broker.url, protocolVersion: 4 });
 * await c.connect();
 * await c.disconnect();
 * await broker.close();
 * ```
 */
export class EmbeddedBroker {
  /** `mqtt://HOST:PORT`. */
  readonly url: string;
  /** The TCP port it listens on. */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  #aedes: Aedes;
  #server: net.Server;
  #sockets = new Set<net.Socket>();
  #closed = false;

  private constructor(aedes: Aedes, server: net.Server, host: string, port: number) {
    this.#aedes = aedes;
    this.#server = server;
    this.host = host;
    this.port = port;
    this.url = `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`;
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Start a broker; rejects if the port is taken (`EADDRINUSE`). */
  static async start(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
    const host = options.host ?? '127.0.0.1';
    // Aedes disconnects a client that publishes on `$SYS/...`; here `$`-topics are ordinary
    // topics that leading wildcards do not match [MQTT-4.7.2-1], as on Mosquitto.
    const aedes = await Aedes.createBroker({ authorizePublish: (_c, _p, done) => done(null) });
    const server = net.createServer((socket) => {
      aedes.handle(socket);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, host, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      throw error;
    }
    const port = (server.address() as net.AddressInfo).port;
    return new EmbeddedBroker(aedes, server, host, port);
  }

  /** Number of client connections open now. */
  get connections(): number {
    return this.#sockets.size;
  }

  /** Stop listening and end every connection; idempotent. [EMB-1] */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#aedes.close(() => resolve()));
    await closed;
  }
}
