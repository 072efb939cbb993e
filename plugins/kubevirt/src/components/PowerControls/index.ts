export { PowerControls } from './PowerControls';
export type { PowerControlsProps } from './PowerControls';
export { PowerActionButton } from './PowerActionButton';
export type { PowerActionButtonProps } from './PowerActionButton';
