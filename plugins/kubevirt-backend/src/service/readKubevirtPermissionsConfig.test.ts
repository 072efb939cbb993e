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

  it('reads the subjects allowed to read the inventory, apart from those allowed to act', () => {
    const config = readKubevirtPermissionsConfig(
      new ConfigReader({
        kubevirt: {
          permissions: {
            servicePrincipalsAllowedToAct: ['vmportal-scripts'],
            servicePrincipalsAllowedToReadInventory: ['cmdb-sync'],
          },
        },
      }),
    );
    expect([...config.servicePrincipalsAllowedToReadInventory]).toEqual([
      'cmdb-sync',
    ]);
    expect(config.servicePrincipalsAllowedToAct.has('cmdb-sync')).toBe(false);
    expect(() =>
      readKubevirtPermissionsConfig(
        new ConfigReader({
          kubevirt: {
            permissions: { servicePrincipalsAllowedToReadInventory: ['a b'] },
          },
        }),
      ),
    ).toThrow(
      "kubevirt.permissions.servicePrincipalsAllowedToReadInventory[0] 'a b' is not a service principal subject",
    );
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
