import { alertApiRef, useApi, useApiHolder } from '@backstage/core-plugin-api';
import { useEntityList } from '@backstage/plugin-catalog-react';
import Button from '@material-ui/core/Button';
import GetAppIcon from '@material-ui/icons/GetApp';
import { useState } from 'react';
import { downloadGenerated } from './downloadGenerated';
import { entityListStreamRequest } from './entityListStreamRequest';
import { virtualMachineInventoryCsvExporter } from './virtualMachineInventoryCsvExporter';

/**
 * "Export CSV": downloads the VMs the page's filters select, all pages of them, as
 * `virtual-machines-<date>.csv` with their live state.
 */
export function VirtualMachineExportButton() {
  const apis = useApiHolder();
  const alertApi = useApi(alertApiRef);
  const { filters } = useEntityList();
  const [exporting, setExporting] = useState(false);

  const exportCsv = async () => {
    setExporting(true);
    try {
      const { generator, contentType } = virtualMachineInventoryCsvExporter({
        apis,
        columns: [],
        streamRequest: entityListStreamRequest(filters),
      });
      const date = new Date().toISOString().slice(0, 10);
      await downloadGenerated(
        generator,
        `virtual-machines-${date}.csv`,
        contentType,
      );
    } catch (error) {
      alertApi.post({
        message: `Could not export the virtual machines: ${
          error instanceof Error ? error.message : String(error)
        }`,
        severity: 'error',
      });
    } finally {
      setExporting(false);
    }
  };

  return (
    <Button
      variant="outlined"
      color="primary"
      startIcon={<GetAppIcon />}
      disabled={exporting}
      onClick={exportCsv}
    >
      {exporting ? 'Exporting…' : 'Export CSV'}
    </Button>
  );
}
