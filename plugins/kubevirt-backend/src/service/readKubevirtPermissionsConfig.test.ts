import { ConfigReader } from '@backstage/config';
import { readKubevirtPermissionsConfig } from './readKubevirtPermissionsConfig';

const read = (servicePrincipalsAllowedToAct: string | string[]) =>
  readKubevirtPermissionsConfig(
    new ConfigReader({
      kubevirt: { permissions: { servicePrincipalsAllowedToAct } },
    }),
  );

describe('readKubevirtPermissionsConfig', () => {
  it('allows no service principal to act by default', () => {
    expect(
      readKubevirtPermissionsConfig(new ConfigReader({}))
        .servicePrincipalsAllowedToAct.size,
    ).toBe(0);
  });

  it('reads the subjects allowed to act', () => {
    const { servicePrincipalsAllowedToAct } = read([
      'vmportal-scripts',
      'plugin:scaffolder',
    ]);
    expect([...servicePrincipalsAllowedToAct]).toEqual([
      'vmportal-scripts',
      'plugin:scaffolder',
    ]);
  });

  it.each([
    [
      'vmportal-scripts',
      'kubevirt.permissions.servicePrincipalsAllowedToAct must be a list of service principal subjects',
    ],
    [
      ['vmportal scripts'],
      "kubevirt.permissions.servicePrincipalsAllowedToAct[0] 'vmportal scripts' is not a service principal subject",
    ],
    [
      ['plugin:catalog', 'user:default/alice'],
      "kubevirt.permissions.servicePrincipalsAllowedToAct[1] 'user:default/alice' names a user",
    ],
  ])('fails at start naming the key for %j', (value, message) => {
    expect(() => read(value)).toThrow(message);
  });
});
