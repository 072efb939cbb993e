import type { GuestLogins } from './guestLogins';

type State = 'login' | 'password' | 'shell';

/** How long `login` waits before "Login incorrect" (the real one waits about 3 s). */
const FAIL_DELAY_MS = 1000;

/**
 * A guest's serial console (ttyS0) as seen through KubeVirt's `console`
 * subresource: a getty login prompt (`<hostname> login: `), a password that
 * must match the guest's cloud-init user data ({@link GuestLogins}), then a
 * tiny shell (`whoami`, `hostname`, `uname`, `echo`, `id`, `pwd`, `exit`).
 * As on a real VM, connecting shows nothing: the getty printed its prompt long
 * ago, and Enter prints it again. The terminal does the line editing the
 * kernel's tty would: echo (not of passwords), backspace, ^C, ^D.
 */
export class SerialConsole {
  private state: State = 'login';
  private line = '';
  private user = '';
  /** Skips the `\n` of a `\r\n` Enter, and the rest of an escape sequence. */
  private skip: 'lf' | 'escape' | 'csi' | undefined;
  private failTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly guest: GuestLogins,
    private readonly write: (text: string) => void,
  ) {}

  /** Keystrokes from the terminal. */
  input(bytes: Buffer): void {
    for (const char of bytes.toString('utf8')) this.key(char);
  }

  /** Stops a pending "Login incorrect". */
  close(): void {
    clearTimeout(this.failTimer);
  }

  private key(char: string) {
    if (this.failTimer) return; // login is still refusing the last attempt
    const code = char.charCodeAt(0);
    if (this.skip === 'lf') {
      this.skip = undefined;
      if (char === '\n') return;
    }
    if (this.skip === 'escape') {
      this.skip = char === '[' || char === 'O' ? 'csi' : undefined;
      return;
    }
    if (this.skip === 'csi') {
      if (code >= 0x40 && code <= 0x7e) this.skip = undefined;
      return;
    }
    if (char === '\r' || char === '\n') {
      if (char === '\r') this.skip = 'lf';
      this.enter();
    } else if (code === 0x7f || code === 0x08) {
      if (this.line) {
        this.line = this.line.slice(0, -1);
        if (this.state !== 'password') this.write('\b \b');
      }
    } else if (code === 0x03) {
      this.write('^C\r\n');
      this.line = '';
      if (this.state === 'shell') this.write(this.prompt());
      else this.loginPrompt();
    } else if (code === 0x04) {
      if (this.state === 'shell' && !this.line) this.logout();
    } else if (code === 0x1b) {
      this.skip = 'escape';
    } else if (code >= 0x20) {
      this.line += char;
      if (this.state !== 'password') this.write(char);
    }
  }

  private enter() {
    const line = this.line;
    this.line = '';
    switch (this.state) {
      case 'login':
        if (!line.trim()) {
          this.write('\r\n');
          this.loginPrompt();
          return;
        }
        this.user = line.trim();
        this.state = 'password';
        this.write('\r\nPassword: ');
        return;
      case 'password': {
        const expected = this.guest.passwords.get(this.user);
        if (expected === undefined || expected !== line) {
          this.write('\r\n');
          this.failTimer = setTimeout(() => {
            this.failTimer = undefined;
            this.write('\r\nLogin incorrect\r\n');
            this.loginPrompt();
          }, FAIL_DELAY_MS);
          this.failTimer.unref();
          return;
        }
        this.state = 'shell';
        this.write(`\r\n${this.prompt()}`);
        return;
      }
      case 'shell':
        this.write('\r\n');
        this.run(line.trim());
        return;
      default:
    }
  }

  private run(command: string) {
    if (!command) {
      this.write(this.prompt());
      return;
    }
    const [name, ...args] = command.split(/\s+/);
    const print = (text: string) => this.write(`${text}\r\n`);
    const { hostname } = this.guest;
    const release = this.guest.kernelRelease ?? '6.1.0';
    switch (name) {
      case 'exit':
      case 'logout':
        this.logout();
        return;
      case 'whoami':
        print(this.user);
        break;
      case 'hostname':
        print(hostname);
        break;
      case 'pwd':
        print(`/home/${this.user}`);
        break;
      case 'id':
        print(
          `uid=1000(${this.user}) gid=1000(${this.user}) groups=1000(${this.user})`,
        );
        break;
      case 'echo':
        print(args.join(' ').replace(/^(['"])(.*)\1$/, '$2'));
        break;
      case 'uname': {
        const version = this.guest.kernelVersion ?? '#1 SMP PREEMPT_DYNAMIC';
        const parts: Record<string, string> = {
          s: 'Linux',
          n: hostname,
          r: release,
          v: version,
          m: 'x86_64',
          o: 'GNU/Linux',
        };
        const flags = args.join('').replace(/-/g, '');
        print(
          flags.includes('a')
            ? `Linux ${hostname} ${release} ${version} x86_64 GNU/Linux`
            : [...(flags || 's')].map(f => parts[f] ?? '').join(' '),
        );
        break;
      }
      default:
        print(`-bash: ${name}: command not found`);
    }
    this.write(this.prompt());
  }

  private logout() {
    this.state = 'login';
    this.user = '';
    this.write('logout\r\n\r\n');
    this.loginPrompt();
  }

  private loginPrompt() {
    this.state = 'login';
    this.write(`${this.guest.hostname} login: `);
  }

  /** The shell's prompt, in the style of the guest's distribution. */
  private prompt(): string {
    const { osId, hostname } = this.guest;
    if (osId === 'cirros') return '$ ';
    if (osId === 'ubuntu' || osId === 'debian')
      return `${this.user}@${hostname}:~$ `;
    return `[${this.user}@${hostname} ~]$ `;
  }
}
