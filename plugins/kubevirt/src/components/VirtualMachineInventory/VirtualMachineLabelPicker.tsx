import { useApi } from '@backstage/core-plugin-api';
import {
  CatalogAutocomplete,
  catalogApiRef,
  useEntityList,
} from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import CheckBoxIcon from '@material-ui/icons/CheckBox';
import CheckBoxOutlineBlankIcon from '@material-ui/icons/CheckBoxOutlineBlank';
import { useEffect, useMemo, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { VirtualMachineLabelFilter } from './VirtualMachineLabelFilter';
import {
  VIRTUAL_MACHINE_CATALOG_FILTER,
  type VirtualMachineEntityFilters,
  type VirtualMachineLabelFilterDefinition,
} from './virtualMachineFilters';

/**
 * A multi-select filter on one label of the VM entities, like the catalog's tag
 * picker: the values come from the catalog's facets over all VMs, with their counts;
 * the selection starts from the page's URL and sets a `VirtualMachineLabelFilter`.
 */
export function VirtualMachineLabelPicker(props: {
  definition: VirtualMachineLabelFilterDefinition;
}) {
  const { key, label, title, helperText } = props.definition;
  const catalogApi = useApi(catalogApiRef);
  const { updateFilters, filters, queryParameters } =
    useEntityList<VirtualMachineEntityFilters>();
  const facet = `metadata.labels.${label}`;

  const { value: counts } = useAsync(async () => {
    const { facets } = await catalogApi.getEntityFacets({
      filter: VIRTUAL_MACHINE_CATALOG_FILTER,
      facets: [facet],
    });
    return new Map(facets[facet]?.map(f => [f.value, f.count]) ?? []);
  }, [catalogApi, facet]);

  const queryParameter = queryParameters[key];
  const queryValues = useMemo(
    () =>
      [queryParameter]
        .flat()
        .filter((v): v is string => typeof v === 'string' && v.length > 0),
    [queryParameter],
  );
  const [selected, setSelected] = useState<string[]>(() =>
    queryValues.length ? queryValues : filters[key]?.values ?? [],
  );
  useEffect(() => {
    if (queryValues.length) {
      setSelected(queryValues);
    }
  }, [queryValues]);

  useEffect(() => {
    updateFilters({
      [key]: selected.length
        ? new VirtualMachineLabelFilter(label, selected)
        : undefined,
    });
  }, [key, label, selected, updateFilters]);
  // A picker that goes away (the stock catalog's type is no longer
  // virtual-machine) takes its filter with it.
  useEffect(
    () => () => updateFilters({ [key]: undefined }),
    [key, updateFilters],
  );

  const options = useMemo(() => {
    const values = new Set([...(counts?.keys() ?? []), ...selected]);
    return [...values].sort((a, b) => a.localeCompare(b));
  }, [counts, selected]);

  return (
    <Box pb={1} pt={1}>
      <CatalogAutocomplete<string, true>
        multiple
        disableCloseOnSelect
        label={title}
        name={`${key}-picker`}
        options={options}
        value={selected}
        onChange={(_event, values) => setSelected(values)}
        TextFieldProps={helperText ? { helperText } : undefined}
        renderOption={(option, state) => (
          <FormControlLabel
            control={
              <Checkbox
                icon={<CheckBoxOutlineBlankIcon fontSize="small" />}
                checkedIcon={<CheckBoxIcon fontSize="small" />}
                checked={state.selected}
              />
            }
            label={`${option} (${counts?.get(option) ?? 0})`}
            onClick={event => event.preventDefault()}
          />
        )}
      />
    </Box>
  );
}
