import type { QuotaPlan } from '../../api/KubevirtApi';
import { QuotaBar } from './QuotaBar';

/**
 * A quota plan's rows as bars, from what is used now to what it would be, red
 * where it does not fit; with `showAdded`, each also says what the plan adds (a
 * change's difference).
 */
export function QuotaPlanBars(props: {
  rows: QuotaPlan['rows'];
  showAdded?: boolean;
}) {
  return (
    <>
      {props.rows.map(row => (
        <QuotaBar
          key={`${row.quotaKind ?? ''}/${row.quota}/${row.resource}`}
          resource={row.resource}
          quota={
            row.quotaKind === 'ApplicationAwareResourceQuota'
              ? `${row.quotaKind} ${row.quota}`
              : row.quota
          }
          hard={row.hard}
          used={row.used}
          after={row.after}
          added={props.showAdded ? row.thisVm : undefined}
          danger={row.fits ? undefined : 'does not fit'}
        />
      ))}
    </>
  );
}
