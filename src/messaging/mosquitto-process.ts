/**
 * A Mosquitto broker as a child process on a free loopback port, with a generated
 * configuration in a temporary directory: what the tests and `cascade bench mqtt` run against
 * (Debian package `mosquitto`, binary `/usr/sbin/mosquitto`). It can be restarted on the same
 * port, keeping its retained messages (persistence is on), to test reconnection.
 *
 * Invariants:
 * - [MOS-1] It listens on 127.0.0.1 only, anonymous access allowed: a test fixture, not a
 *   deployment.
 * - [MOS-2] `stop()` ends the process and removes the temporary directory; a process that
 *   does not exit on SIGTERM within 2 s is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CascadeError, ErrorCode } from '../errors.js';

/** Options of {@link MosquittoProcess.start}. */
export interface MosquittoOptions {
  /** The mosquitto binary (default: `$MOSQUITTO`, else `/usr/sbin/mosquitto`, else `mosquitto`). */
  binary?: string;
  /** TCP port (default: a free one). */
  port?: number;
  /** Time to wait for the port to accept connections, ms (default 5,000). */
  startTimeoutMs?: number;
  /**
   * `set_tcp_nodelay true` in the configuration (default true). False runs Mosquitto as
   * installed, with Nagle's algorithm on its sockets (what a stock broker does).
   */
  tcpNoDelay?: boolean;
}

/**
 * A running Mosquitto child process.
 *
 * @example
 * ```ts
 * const mosquitto = await MosquittoProcess.start();
 * const c = new MqttConnector({ url: mosquitto.url });
 * await c.connect();
 * await mosquitto.restart(); // c reconnects and subscribes again
 * await c.disconnect();
 * await mosquitto.stop();
 * ```
 */
export class MosquittoProcess {
  readonly port: number;
  readonly url: string;
  #binary: string;
  #dir: string;
  #timeoutMs: number;
  #child: ChildProcess | null = null;
  #stderr = '';

  private constructor(binary: string, dir: string, port: number, timeoutMs: number) {
    this.#binary = binary;
    this.#dir = dir;
    this.port = port;
    this.url = `mqtt://127.0.0.1:${port}`;
    this.#timeoutMs = timeoutMs;
  }

  /** The binary that `start()` would run, or undefined when none is found. */
  static findBinary(): string | undefined {
    const env = process.env.MOSQUITTO;
    if (env !== undefined && env !== '') return env;
    for (const p of ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto']) {
      if (existsSync(p)) return p;
    }
    return undefined;
  }

  /** Write a configuration and start mosquitto; resolves once its port accepts connections. */
  static async start(options: MosquittoOptions = {}): Promise<MosquittoProcess> {
    const binary = options.binary ?? MosquittoProcess.findBinary() ?? 'mosquitto';
    const port = options.port ?? (await freePort());
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-mosquitto-'));
    const config = [
      `listener ${port} 127.0.0.1`, // [MOS-1]
      'allow_anonymous true',
      // Run as whoever started it: as root, mosquitto would switch to the `mosquitto` user,
      // who cannot write the persistence file in this directory.
      `user ${os.userInfo().username}`,
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 0',
      'max_queued_messages 100000',
      // small messages answered by small messages (lock-step shards, QoS 1 acks): without it
      // Nagle's algorithm and delayed ACKs hold each for up to 40 ms
      ...(options.tcpNoDelay === false ? [] : ['set_tcp_nodelay true']),
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n');
    await writeFile(path.join(dir, 'mosquitto.conf'), config);
    const m = new MosquittoProcess(binary, dir, port, options.startTimeoutMs ?? 5000);
    try {
      await m.#spawn();
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return m;
  }

  /** The process id, while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Stop (SIGTERM: mosquitto saves retained messages) and start again on the same port. */
  async restart(): Promise<void> {
    await this.#kill();
    await this.#spawn();
  }

  /** Stop the process and remove its directory; idempotent. [MOS-2] */
  async stop(): Promise<void> {
    await this.#kill();
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #spawn(): Promise<void> {
    this.#stderr = '';
    const child = spawn(this.#binary, ['-c', path.join(this.#dir, 'mosquitto.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (this.#stderr.length < 4096) this.#stderr += d;
    });
    let exited: string | null = null;
    child.once('error', (e) => (exited = e.message));
    child.once('exit', (code, signal) => (exited ??= `exited (${code ?? signal})`));
    this.#child = child;
    const end = Date.now() + this.#timeoutMs;
    while (!(await accepts(this.port))) {
      if (exited !== null || Date.now() > end) {
        child.kill('SIGKILL');
        this.#child = null;
        throw new CascadeError(
          ErrorCode.MQTT_CONNECT_FAILED,
          `mosquitto (${this.#binary}) did not start on port ${this.port}: ` +
            `${exited ?? 'timed out'} ${this.#stderr.trim()}`,
          { url: this.url, reason: exited ?? 'timed out' },
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000); // [MOS-2]
    await gone;
    clearTimeout(timer);
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
