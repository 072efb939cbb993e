import { guestOsInfo } from './guestOs';

describe('guestOsInfo', () => {
  it.each([
    ['quay.io/containerdisks/fedora:41', 'Fedora Linux', '41'],
    ['quay.io/containerdisks/fedora:40', 'Fedora Linux', '40'],
    ['quay.io/containerdisks/ubuntu:22.04', 'Ubuntu', '22.04'],
    [
      'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img',
      'Ubuntu',
      '24.04',
    ],
    ['quay.io/containerdisks/centos-stream:9', 'CentOS Stream', '9'],
    ['centos.stream10', 'CentOS Stream', '10'],
    ['rhel.9', 'Red Hat Enterprise Linux', '9.6'],
    ['rhel.8', 'Red Hat Enterprise Linux', '8.10'],
    ['rhel.8.desktop', 'Red Hat Enterprise Linux', '8.10'],
    ['centos.stream9.dpdk', 'CentOS Stream', '9'],
    [
      'https://download.fedoraproject.org/pub/fedora/linux/releases/40/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-40-1.14.x86_64.qcow2',
      'Fedora Linux',
      '40',
    ],
    ['windows.2k22', 'Microsoft Windows', '2022'],
    ['win2k19', 'Microsoft Windows', '2019'],
  ])('reads %s as %s %s', (hint, name, versionId) => {
    expect(guestOsInfo([hint])).toMatchObject({ name, versionId });
  });

  it('reports Windows as the guest agent does', () => {
    expect(guestOsInfo(['windows.2k22'])).toMatchObject({
      id: 'mswindows',
      version: 'Microsoft Windows Server 2022',
      prettyName: 'Windows Server 2022 Datacenter',
    });
  });

  it('takes the first hint that names an OS (the preference before the disk)', () => {
    expect(
      guestOsInfo([undefined, 'rhel.9', 'quay.io/containerdisks/fedora:41'])
        ?.id,
    ).toBe('rhel');
  });

  it('has no agent for CirrOS or an image it cannot place', () => {
    expect(
      guestOsInfo(['quay.io/kubevirt/cirros-container-disk-demo']),
    ).toBeUndefined();
    expect(guestOsInfo(['registry.example.com/appliance:3'])).toBeUndefined();
  });
});
