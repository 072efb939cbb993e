import { legacyFirmwareUuid } from './firmwareUuid';

describe('legacyFirmwareUuid', () => {
  it("is the name-based UUID KubeVirt's CalculateLegacyUUID gives a VM", () => {
    // Python: uuid.uuid5(uuid.UUID('6a1a24a1-4061-4607-8bf4-a3963d0c5895'), 'vm1')
    expect(legacyFirmwareUuid('vm1')).toBe(
      '133bf63e-9459-5126-9b21-b56e9b3d17b3',
    );
    expect(legacyFirmwareUuid('vm1')).not.toBe(legacyFirmwareUuid('vm2'));
  });
});
