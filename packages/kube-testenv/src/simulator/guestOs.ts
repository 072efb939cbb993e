/*
 * What the QEMU guest agent would report for a VM's operating system, guessed
 * from the words in its disk image, DataVolume source or preference name
 * ("quay.io/containerdisks/fedora:41", "rhel.9", "win2k22"). A guest we
 * cannot recognise, and CirrOS (which ships no agent), has no agent.
 */

/** `status.guestOSInfo` of a VMI, as KubeVirt reports it from the guest agent. */
export interface GuestOsInfo {
  id: string;
  name: string;
  prettyName: string;
  version: string;
  versionId: string;
  kernelRelease: string;
  kernelVersion: string;
  machine: string;
}

interface Guest {
  /** Matches a lower-cased hint. */
  pattern: RegExp;
  info: (version: string | undefined) => GuestOsInfo;
}

const linux = (
  id: string,
  name: string,
  versionId: string,
  version: string,
  prettyName: string,
  kernelRelease: string,
  kernelVersion = '#1 SMP PREEMPT_DYNAMIC',
): GuestOsInfo => ({
  id,
  name,
  prettyName,
  version,
  versionId,
  kernelRelease,
  kernelVersion,
  machine: 'x86_64',
});

const guests: Guest[] = [
  {
    pattern: /centos[-._]?stream|centos/,
    info: v => {
      const major = v && /^\d+$/.test(v) ? v : '9';
      return linux(
        'centos',
        'CentOS Stream',
        major,
        major,
        `CentOS Stream ${major}`,
        major === '10' ? '6.12.0-55.el10.x86_64' : '5.14.0-570.el9.x86_64',
      );
    },
  },
  {
    pattern: /rhel|red[-_]?hat/,
    info: v => {
      const minor: Record<string, string> = {
        '8': '8.10',
        '9': '9.6',
        '10': '10.0',
      };
      const versionId =
        (v && (minor[v] ?? (/^\d+\.\d+$/.test(v) ? v : undefined))) ?? '9.6';
      const major = versionId.split('.')[0];
      const codename =
        ({ '8': 'Ootpa', '10': 'Coughlan' } as Record<string, string>)[major] ??
        'Plow';
      const kernel =
        (
          {
            '8': '4.18.0-553.el8_10.x86_64',
            '10': '6.12.0-55.9.1.el10_0.x86_64',
          } as Record<string, string>
        )[major] ?? '5.14.0-570.12.1.el9_6.x86_64';
      return linux(
        'rhel',
        'Red Hat Enterprise Linux',
        versionId,
        `${versionId} (${codename})`,
        `Red Hat Enterprise Linux ${versionId} (${codename})`,
        kernel,
      );
    },
  },
  {
    pattern: /fedora/,
    info: v => {
      const versionId = v && /^\d{2}$/.test(v) ? v : '41';
      return linux(
        'fedora',
        'Fedora Linux',
        versionId,
        `${versionId} (Cloud Edition)`,
        `Fedora Linux ${versionId} (Cloud Edition)`,
        `6.11.4-301.fc${versionId}.x86_64`,
      );
    },
  },
  {
    pattern: /ubuntu/,
    info: v => {
      const versionId = v && /^\d{2}\.\d{2}$/.test(v) ? v : '24.04';
      const names: Record<string, string> = {
        '22.04': 'Jammy Jellyfish',
        '24.04': 'Noble Numbat',
      };
      const codename = names[versionId] ?? 'Noble Numbat';
      return linux(
        'ubuntu',
        'Ubuntu',
        versionId,
        `${versionId}.1 LTS (${codename})`,
        `Ubuntu ${versionId}.1 LTS`,
        versionId === '22.04' ? '5.15.0-125-generic' : '6.8.0-48-generic',
        '#48-Ubuntu SMP PREEMPT_DYNAMIC',
      );
    },
  },
  {
    pattern: /debian/,
    info: () =>
      linux(
        'debian',
        'Debian GNU/Linux',
        '12',
        '12 (bookworm)',
        'Debian GNU/Linux 12 (bookworm)',
        '6.1.0-26-cloud-amd64',
        '#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1',
      ),
  },
  {
    pattern: /opensuse|sles/,
    info: () =>
      linux(
        'opensuse-leap',
        'openSUSE Leap',
        '15.6',
        '15.6',
        'openSUSE Leap 15.6',
        '6.4.0-150600.23.25-default',
      ),
  },
  {
    pattern: /win|windows|mswindows/,
    info: v => {
      const year = v && /^(2016|2019|2022|2025)$/.test(v) ? v : '2022';
      const builds: Record<string, string> = {
        '2016': '14393',
        '2019': '17763',
        '2022': '20348',
        '2025': '26100',
      };
      return {
        id: 'mswindows',
        name: 'Microsoft Windows',
        prettyName: `Windows Server ${year} Datacenter`,
        version: `Microsoft Windows Server ${year}`,
        versionId: year,
        kernelRelease: builds[year],
        kernelVersion: '10.0',
        machine: 'x86_64',
      };
    },
  },
];

/** A version written next to the OS name: "fedora:41", "rhel.9", "ubuntu-22.04", "win2k22". */
function versionIn(hint: string): string | undefined {
  const windows = /(?:win|windows)[-._]?(?:2k|server[-._]?)(\d{2,4})/.exec(
    hint,
  );
  if (windows) return windows[1].length === 2 ? `20${windows[1]}` : windows[1];
  // A number after a separator or the OS name; not an architecture's, nor one glued to letters ("qcow2").
  const withoutArch = hint.replace(
    /x86_64|amd64|aarch64|arm64|s390x|ppc64le/g,
    '',
  );
  const version =
    /(?:[:._-]|stream|rhel|fedora|ubuntu|centos)(\d+(?:\.\d+)?)(?!\d*[a-z])/;
  return version.exec(withoutArch)?.[1];
}

/**
 * The guest agent's OS report for the first hint that names a known OS, or
 * `undefined` (no agent) if none does.
 */
export function guestOsInfo(
  hints: Array<string | undefined>,
): GuestOsInfo | undefined {
  for (const raw of hints) {
    if (!raw) continue;
    const hint = raw.toLowerCase();
    if (/cirros/.test(hint)) return undefined;
    const guest = guests.find(g => g.pattern.test(hint));
    if (guest) return guest.info(versionIn(hint));
  }
  return undefined;
}
