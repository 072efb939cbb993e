import { Content } from '@backstage/core-components';
import { Route, Routes, useParams } from 'react-router-dom';
import { VirtualMachineRequestPage } from '../VirtualMachineRequestPage';
import { VirtualMachineRequestsTable } from '../VirtualMachineRequestsTable';

function RequestRoute() {
  const { id = '' } = useParams();
  // A new id starts from scratch rather than showing the last request.
  return <VirtualMachineRequestPage key={id} id={id} />;
}

/**
 * The "VM requests" page: the list of requests the user may see at its root, one
 * request's page at `/:id`.
 */
export function VirtualMachineRequestsPage() {
  return (
    <Content>
      <Routes>
        <Route path="/" element={<VirtualMachineRequestsTable />} />
        <Route path="/:id" element={<RequestRoute />} />
      </Routes>
    </Content>
  );
}
