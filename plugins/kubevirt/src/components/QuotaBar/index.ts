export { QuotaBar, percentOf } from './QuotaBar';
export type { QuotaBarProps } from './QuotaBar';
export { QuotaPlanBars } from './QuotaPlanBars';
