import type { GuestLogins } from './guestLogins';
import { SerialConsole } from './SerialConsole';

function terminal(guest: Partial<GuestLogins> = {}) {
  let output = '';
  const tty = new SerialConsole(
    { hostname: 'web-1', passwords: new Map(), ...guest },
    text => {
      output += text;
    },
  );
  return {
    type: (keys: string) => tty.input(Buffer.from(keys)),
    /** What the console printed since the last call. */
    printed: () => {
      const text = output;
      output = '';
      return text;
    },
    close: () => tty.close(),
  };
}

describe('SerialConsole', () => {
  afterEach(() => jest.useRealTimers());

  it('prints nothing until Enter, then the login prompt; logs in with the right password only', () => {
    jest.useFakeTimers();
    const tty = terminal({
      passwords: new Map([['cirros', 'from-cloud-init']]),
      osId: 'cirros',
    });
    expect(tty.printed()).toBe('');
    tty.type('\r\n');
    expect(tty.printed()).toBe('\r\nweb-1 login: ');
    tty.type('cirros\r');
    expect(tty.printed()).toBe('cirros\r\nPassword: ');
    tty.type('gocubsgo\r');
    expect(tty.printed()).toBe('\r\n');
    // Keys typed while login makes the caller wait are lost, as on a real tty.
    tty.type('x');
    jest.advanceTimersByTime(1000);
    expect(tty.printed()).toBe('\r\nLogin incorrect\r\nweb-1 login: ');
    tty.type('cirros\rfrom-cloud-init\r');
    expect(tty.printed()).toBe('cirros\r\nPassword: \r\n$ ');
  });

  it('runs whoami, hostname, uname and echo; edits the line; exit goes back to the login prompt', () => {
    const tty = terminal({
      passwords: new Map([['fedora', 'pw']]),
      osId: 'fedora',
      kernelRelease: '6.11.4-301.fc41.x86_64',
      kernelVersion: '#1 SMP PREEMPT_DYNAMIC',
    });
    tty.type('fedora\rpw\r');
    tty.printed();
    tty.type('whoamx\x7fi\r');
    expect(tty.printed()).toBe('whoamx\b \bi\r\nfedora\r\n[fedora@web-1 ~]$ ');
    tty.type('uname -r\r');
    expect(tty.printed()).toBe(
      'uname -r\r\n6.11.4-301.fc41.x86_64\r\n[fedora@web-1 ~]$ ',
    );
    tty.type('echo "hello there"\r');
    expect(tty.printed()).toContain('\r\nhello there\r\n');
    tty.type('\x1b[Ahostname\r');
    expect(tty.printed()).toBe('hostname\r\nweb-1\r\n[fedora@web-1 ~]$ ');
    tty.type('reboot\r');
    expect(tty.printed()).toContain('-bash: reboot: command not found');
    tty.type('exit\r');
    expect(tty.printed()).toBe('exit\r\nlogout\r\n\r\nweb-1 login: ');
  });

  it('lets nobody in when cloud-init set no password', () => {
    jest.useFakeTimers();
    const tty = terminal();
    for (const user of ['root', 'fedora', 'cloud-user', 'cirros']) {
      tty.type(`${user}\r${user}\r`);
      jest.advanceTimersByTime(1000);
      expect(tty.printed()).toContain('Login incorrect');
    }
    tty.close();
  });
});
