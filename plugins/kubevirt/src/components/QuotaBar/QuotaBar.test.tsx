import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { percentOf, QuotaBar } from './QuotaBar';

describe('QuotaBar', () => {
  it('draws what is used and, lighter, what a planned VM adds', async () => {
    await renderInTestApp(
      <QuotaBar
        resource="requests.memory"
        quota="team-quota"
        hard="24Gi"
        used="12Gi"
        after="18Gi"
      />,
    );
    const bar = screen.getByRole('progressbar', {
      name: 'Memory requests (team-quota): 12 GiB → 18 GiB of 24 GiB (75%)',
    });
    expect(bar).toHaveAttribute('aria-valuenow', '50');
    expect(
      screen.getByText('12 GiB → 18 GiB of 24 GiB (75%)'),
    ).toBeInTheDocument();
  });

  it('caps the bar at full and says why it is red', async () => {
    await renderInTestApp(
      <QuotaBar
        resource="requests.cpu"
        hard="6"
        used="7"
        danger="over quota"
      />,
    );
    expect(
      screen.getByRole('progressbar', {
        name: 'CPU requests: 7 CPUs of 6 CPUs (117%), over quota',
      }),
    ).toHaveAttribute('aria-valuenow', '100');
  });

  it('treats a zero quota as full once anything is used', () => {
    expect(percentOf(0, 0)).toBe(0);
    expect(percentOf(1, 0)).toBe(100);
    expect(percentOf(3, 6)).toBe(50);
  });
});
