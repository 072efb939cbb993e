export {
  VirtualMachineFacts,
  guestOsName,
  ipAddresses,
  sizeSummary,
  uptime,
} from './VirtualMachineFacts';
