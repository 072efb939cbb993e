export { VirtualMachineDiagnosisPanel } from './VirtualMachineDiagnosisPanel';
