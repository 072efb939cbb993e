import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { Quantity } from '@vmportal/plugin-kubevirt-common';
import { describeResource, formatQuantity } from '../../lib/quantity';

const useStyles = makeStyles(theme => ({
  bar: { height: 8, borderRadius: 4 },
  ok: { backgroundColor: theme.palette.primary.main },
  okAdded: { backgroundColor: theme.palette.primary.light },
  danger: { backgroundColor: theme.palette.error.main },
  dangerAdded: { backgroundColor: theme.palette.error.light },
  dashed: { display: 'none' },
  dangerText: { color: theme.palette.error.main, fontWeight: 'bold' },
}));

/** A quantity's value as a number, only to draw the bar; 0 when the text is not one. */
function amount(quantity: string): number {
  return Quantity.tryParse(quantity)?.toNumber() ?? 0;
}

/** `value` as a percentage of `hard`, 0 when nothing is allowed and nothing used. */
export function percentOf(value: number, hard: number): number {
  if (hard <= 0) {
    return value > 0 ? 100 : 0;
  }
  return (value / hard) * 100;
}

/** Props of {@link QuotaBar}. */
export interface QuotaBarProps {
  /** The quota resource, e.g. `requests.cpu`. */
  resource: string;
  /** The ResourceQuota's name, shown beside the resource. */
  quota?: string;
  hard: string;
  used: string;
  /** Use with the planned VM; the bar then shows before and after. */
  after?: string;
  /** Draw in red and say why (nearly full, does not fit). */
  danger?: string;
  /**
   * What a planned change adds (negative: frees), said beside the resource: a
   * change's plan shows the difference as well as the total.
   */
  added?: string;
}

/** `adds 2 GiB`, `frees 1 GiB`, `adds nothing`. */
function addedText(added: string, resource: string): string {
  const quantity = Quantity.tryParse(added);
  if (!quantity) {
    return `adds ${added}`;
  }
  if (quantity.nanos === 0n) {
    return 'adds nothing';
  }
  return quantity.nanos < 0n
    ? `frees ${formatQuantity(added.replace(/^-/, ''), resource)}`
    : `adds ${formatQuantity(added, resource)}`;
}

/**
 * One quota as a bar with `used of hard` beneath it; with `after`, the part a
 * planned VM would add is drawn lighter beyond what is used now.
 */
export function QuotaBar(props: QuotaBarProps) {
  const { resource, quota, hard, used, after, danger, added } = props;
  const classes = useStyles();
  const hardValue = amount(hard);
  const usedPercent = percentOf(amount(used), hardValue);
  const afterPercent =
    after === undefined ? undefined : percentOf(amount(after), hardValue);
  const label = `${describeResource(resource)}${quota ? ` (${quota})` : ''}${
    added === undefined ? '' : `, ${addedText(added, resource)}`
  }`;
  const shown = (quantity: string) => formatQuantity(quantity, resource);
  const text =
    after === undefined
      ? `${shown(used)} of ${shown(hard)} (${Math.round(usedPercent)}%)`
      : `${shown(used)} → ${shown(after)} of ${shown(hard)} (${Math.round(
          afterPercent ?? 0,
        )}%)`;

  return (
    <Box mb={1.5}>
      <Box display="flex" justifyContent="space-between">
        <Typography variant="body2">{label}</Typography>
        <Typography variant="body2">
          {text}
          {danger && <span className={classes.dangerText}> · {danger}</span>}
        </Typography>
      </Box>
      <LinearProgress
        aria-label={`${label}: ${text}${danger ? `, ${danger}` : ''}`}
        className={classes.bar}
        variant={afterPercent === undefined ? 'determinate' : 'buffer'}
        value={Math.min(100, usedPercent)}
        valueBuffer={
          afterPercent === undefined ? undefined : Math.min(100, afterPercent)
        }
        classes={{
          bar1Determinate: danger ? classes.danger : classes.ok,
          bar1Buffer: danger ? classes.danger : classes.ok,
          bar2Buffer: danger ? classes.dangerAdded : classes.okAdded,
          dashed: classes.dashed,
        }}
      />
    </Box>
  );
}
