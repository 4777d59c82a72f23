/** Just enough QMP for the image test to hot-plug a disk; the backend has the real client. */
import * as net from 'node:net';

type Message = Record<string, unknown>;

export class MiniQmp {
  private buffer = '';
  private readonly messages: Message[] = [];
  private readonly listeners: (() => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line !== '') this.messages.push(JSON.parse(line) as Message);
      }
      for (const l of this.listeners.splice(0)) l();
    });
  }

  static async connect(socketPath: string, timeoutMs = 10_000): Promise<MiniQmp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(socketPath, () => resolve(s));
          s.once('error', reject);
        });
        const qmp = new MiniQmp(socket);
        await qmp.next((m) => 'QMP' in m, timeoutMs);
        await qmp.execute('qmp_capabilities');
        return qmp;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async execute(command: string, args?: Message): Promise<unknown> {
    this.socket.write(
      `${JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args })}\n`,
    );
    const reply = await this.next((m) => 'return' in m || 'error' in m);
    if ('error' in reply) throw new Error(`QMP ${command}: ${JSON.stringify(reply.error)}`);
    return reply.return;
  }

  waitEvent(event: string, timeoutMs = 10_000): Promise<Message> {
    return this.next((m) => m.event === event, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  private async next(match: (m: Message) => boolean, timeoutMs = 10_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex(match);
      if (i >= 0) return this.messages.splice(i, 1)[0] as Message;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('QMP: no matching message in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.listeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
