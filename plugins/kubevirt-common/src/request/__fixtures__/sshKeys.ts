/**
 * Public keys made with OpenSSH's ssh-keygen (`ssh-keygen -t <type> -C fixture-<type>`);
 * the private halves were thrown away.
 */
export const KEYS = {
  ed25519:
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINM9D3q3W5gZVBV9E7y3veKAcn0nc0NlFyAWWU46KMLJ fixture-ed25519',
  rsa3072:
    'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDg9c/6tmXN6AOOEb8btlX0ENyToSR+E9WoM4Vv3wikMOy+PUxQC6iHD0TUGzJpS8svcV/dTDX9i1szHF6yy5Fuf/HC0MhcYtO5AI/WarV1PAAs0StdwcC/jmxost+o2nccpNUpCMU2keXxDHa6Xy8EJQZZ+b0Kxt4YnZTLwRyJZ4gon1DN/pNcQYgCrSqikLiE5m+bh2JsTNrx2nYGqPkYWBwWswQCZVZWjIDpSuy16toihI/o+GJ26nq1PBf8p0KbX011e93/vI/O2tk+r+xS85+MmCxv9aPyTxpgejgW0gNW49iiXAuL55Sv9Z1pivOmGLxhkOqgZUoLx2AOeN2ZYUQz2A90CTLWPfgeMzlaqIsWsfirWB68bKnE56JmSFSnRJZsXLTQ90IhCKl1zrUqzbjfmM/epsGcIPyjr/CMf85HlwOdcKvzcypr2SdvCyfUHa1hHg/UlUlxwcyMdNqvV3M/3JXGzKaBud2OoaJuIkSDVRX5+oWR4qwKoCzuvf8= fixture-rsab3072',
  ecdsa256:
    'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGWrIQQBKPJc1MRcY1PW7ELIQ4c451FG1DdYFAiMUF9q0klpArCeMS0PR18hpDiD9y6ea/Atp541im3SrRrsPmY= fixture-ecdsab256',
  ecdsa384:
    'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBHyPpxgzUbEG+mSaU1AuhUHF0PMqkvJzBeduXmYQmKgv9n/ySz2sw+otOjrTkc0S0RAv/OpZbwiB7tiwbp2TMd3mbF+FqLY8fM1eyMHvhIMiH25P+SfLW2EoxtJoT0BLkA== fixture-ecdsab384',
  ecdsa521:
    'ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBACTyUoO4b+avwHIWVTy5wisdOiGk0apr49ydkBVdNln23RJ6T2E2p+RuvFub9bv72I12N0hroZx8CWdlUJh+EocxAALJgklAJADIabYCEx4dQxLHlLei7HaktaG+a7tydPR6ieZocSSqUvCHq41mmGq4DWzllX0sR4m7Saz/m7/ICAi1g== fixture-ecdsab521',
  rsa1024Weak:
    'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDIcL+WNOcU8z0DtIs7I28aQV5jELa+Vp73u635CknQPMibdYnwNuuDiM+uiLzU0D835r6C0pMwcouNUBgvxocvkDNmP4LvTgDMHKAfk1QAbBC9sYsxBPry3Zl06li0STdSptsWQCT5dXMqt2+X0PRTcJAmDSAm95EyoIwYSYkVjw== fixture-rsab1024',
};

/** An OpenSSH public key line with the given type and wire-format fields after it. */
export function sshWireKey(
  type: string,
  fields: Buffer[],
  comment = 'test',
): string {
  const string = (value: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(value.length);
    return Buffer.concat([length, value]);
  };
  const body = Buffer.concat([
    string(Buffer.from(type)),
    ...fields.map(string),
  ]);
  return `${type} ${body.toString('base64')} ${comment}`;
}
