export { PowerControls } from './PowerControls';
export type { PowerControlsProps } from './PowerControls';
