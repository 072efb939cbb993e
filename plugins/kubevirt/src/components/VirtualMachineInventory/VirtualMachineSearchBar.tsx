import { useApi } from '@backstage/core-plugin-api';
import {
  EntityTextFilter,
  useEntityList,
} from '@backstage/plugin-catalog-react';
import IconButton from '@material-ui/core/IconButton';
import InputAdornment from '@material-ui/core/InputAdornment';
import TextField from '@material-ui/core/TextField';
import ClearIcon from '@material-ui/icons/Clear';
import SearchIcon from '@material-ui/icons/Search';
import { looksLikeIpAddress } from '@vmportal/plugin-kubevirt-common';
import { useRef, useState } from 'react';
import useDebounce from 'react-use/esm/useDebounce';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { VirtualMachineAddressFilter } from './VirtualMachineAddressFilter';
import type { VirtualMachineEntityFilters } from './virtualMachineFilters';

/** How long typing must pause before the list is filtered. */
export const SEARCH_DEBOUNCE_MS = 300;

/**
 * "Search by name or IP": a name (or any text) filters the catalog's full text on
 * the server; the beginning of an IP address asks the kubevirt backend which VMs the
 * user may read have such an address, and shows exactly those.
 */
export function VirtualMachineSearchBar() {
  const api = useApi(kubevirtApiRef);
  const { updateFilters, queryParameters } =
    useEntityList<VirtualMachineEntityFilters>();
  const [search, setSearch] = useState(
    () => [queryParameters.vmAddress ?? queryParameters.text].flat()[0] ?? '',
  );
  const [note, setNote] = useState<{ text: string; error: boolean }>();
  const latest = useRef(0);

  useDebounce(
    () => {
      const query = search.trim();
      const attempt = ++latest.current;
      setNote(undefined);
      if (!looksLikeIpAddress(query)) {
        updateFilters({
          text: query ? new EntityTextFilter(query) : undefined,
          vmAddress: undefined,
        });
        return;
      }
      api.searchVirtualMachineAddresses(query).then(
        result => {
          if (attempt !== latest.current) return;
          updateFilters({
            text: undefined,
            vmAddress: new VirtualMachineAddressFilter(query, result.items),
          });
          const notes = [];
          if (result.truncated) {
            notes.push(
              `More VMs have an address starting with ${query} than are shown: type more of it`,
            );
          }
          if (result.unsearchedClusters.length) {
            notes.push(
              `Not searched, as they could not be read: ${result.unsearchedClusters.join(
                ', ',
              )}`,
            );
          }
          if (notes.length) {
            setNote({ text: notes.join('. '), error: false });
          }
        },
        error => {
          if (attempt !== latest.current) return;
          setNote({
            text: `Could not search by IP address: ${error.message}`,
            error: true,
          });
        },
      );
    },
    SEARCH_DEBOUNCE_MS,
    [search, api, updateFilters],
  );

  return (
    <TextField
      id="virtual-machine-search"
      label="Search by name or IP"
      placeholder="web-frontend or 10.244.1."
      variant="outlined"
      size="small"
      fullWidth
      value={search}
      onChange={event => setSearch(event.target.value)}
      error={note?.error}
      helperText={note?.text}
      autoComplete="off"
      InputProps={{
        startAdornment: (
          <InputAdornment position="start">
            <SearchIcon />
          </InputAdornment>
        ),
        endAdornment: (
          <InputAdornment position="end">
            <IconButton
              aria-label="Clear the search"
              size="small"
              edge="end"
              disabled={search.length === 0}
              onClick={() => setSearch('')}
            >
              <ClearIcon />
            </IconButton>
          </InputAdornment>
        ),
      }}
    />
  );
}
