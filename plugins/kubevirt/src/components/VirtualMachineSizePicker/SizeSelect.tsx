import Box from '@material-ui/core/Box';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import TextField from '@material-ui/core/TextField';
import { useState } from 'react';
import type { VirtualMachineSize } from '@vmportal/plugin-kubevirt-common';

function sizeLabel(size: VirtualMachineSize): string {
  return `${size.name} · ${size.vcpus} vCPU${size.vcpus === 1 ? '' : 's'} · ${
    size.memory
  }`;
}

function bySeries(
  sizes: VirtualMachineSize[],
): Array<[string, VirtualMachineSize[]]> {
  const groups = new Map<string, VirtualMachineSize[]>();
  for (const size of sizes) {
    groups.set(size.series, [...(groups.get(size.series) ?? []), size]);
  }
  return [...groups.entries()];
}

/** Props of {@link SizeSelect}. */
export interface SizeSelectProps {
  id?: string;
  label: string;
  /** The cluster's sizes; undefined while they load. */
  sizes?: VirtualMachineSize[];
  /** The cluster, to say that a chosen size is not among its sizes. */
  cluster?: string;
  value?: string;
  onChange(value: string | undefined): void;
  /**
   * Sizes to show whatever the offered series, with a note after their label
   * (`(suggested for Fedora 41)`, `(now)`).
   */
  notes?: Record<string, string>;
  required?: boolean;
  disabled?: boolean;
  error?: boolean;
  helperText?: string;
}

/**
 * A cluster's sizes (instancetypes) as a select, grouped by series with vCPUs and
 * memory: the offered series first, every other behind "Show all sizes".
 */
export function SizeSelect(props: SizeSelectProps) {
  const { sizes, cluster, value, notes = {} } = props;
  const [showAll, setShowAll] = useState(false);
  const chosen = sizes?.find(size => size.name === value);
  // Sizes without the flag come from an older backend: all offered.
  const offered = (sizes ?? []).filter(
    size =>
      showAll ||
      size.offered !== false ||
      size.name === value ||
      size.name in notes,
  );
  const hidden = (sizes?.length ?? 0) - offered.length;
  return (
    <Box>
      <TextField
        id={props.id}
        select
        fullWidth
        variant="outlined"
        margin="normal"
        label={props.label}
        required={props.required}
        disabled={props.disabled || !sizes}
        error={props.error}
        value={value ?? ''}
        onChange={event => props.onChange(event.target.value || undefined)}
        SelectProps={{ native: true }}
        InputLabelProps={{ shrink: true }}
        helperText={props.helperText}
      >
        <option value="">Choose a size</option>
        {bySeries(offered).map(([series, group]) => (
          <optgroup key={series} label={series}>
            {group.map(size => (
              <option key={size.name} value={size.name}>
                {sizeLabel(size)}
                {notes[size.name] ? ` ${notes[size.name]}` : ''}
              </option>
            ))}
          </optgroup>
        ))}
        {value && sizes && !chosen && (
          <option value={value}>
            {value} (not offered on {cluster})
          </option>
        )}
      </TextField>
      {(hidden > 0 || showAll) && (
        <FormControlLabel
          control={
            <Checkbox
              checked={showAll}
              onChange={event => setShowAll(event.target.checked)}
              color="primary"
            />
          }
          label={
            showAll
              ? 'Showing every size the cluster has'
              : `Show all sizes (${hidden} more: compute, memory, GPU, realtime…)`
          }
        />
      )}
    </Box>
  );
}
