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

  it('says what a change adds, frees, or leaves as it was', async () => {
    await renderInTestApp(
      <>
        <QuotaBar
          resource="requests.memory"
          quota="team-quota"
          hard="24Gi"
          used="16Gi"
          after="18Gi"
          added="2Gi"
        />
        <QuotaBar
          resource="requests.memory"
          quota="other-quota"
          hard="24Gi"
          used="16Gi"
          after="14Gi"
          added="-2Gi"
        />
        <QuotaBar
          resource="requests.cpu"
          quota="team-quota"
          hard="6"
          used="4"
          after="4"
          added="0"
        />
      </>,
    );
    expect(
      screen.getByText('Memory requests (team-quota), adds 2 GiB'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', {
        name: 'Memory requests (other-quota), frees 2 GiB: 16 GiB → 14 GiB of 24 GiB (58%)',
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByText('CPU requests (team-quota), adds nothing'),
    ).toBeInTheDocument();
  });

  it('treats a zero quota as full once anything is used', () => {
    expect(percentOf(0, 0)).toBe(0);
    expect(percentOf(1, 0)).toBe(100);
    expect(percentOf(3, 6)).toBe(50);
  });
});
