// @types/novnc__novnc still declares noVNC's layout before 1.5 (`lib/rfb`); since
// 1.5 the package exports RFB as its root, which is what the console imports.
declare module '@novnc/novnc' {
  export { default } from '@novnc/novnc/lib/rfb';
}
