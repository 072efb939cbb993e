/* eslint-disable no-control-regex -- refusing and stripping control characters is the point here */
import {
  formatQuantityForHumans,
  KUBEVIRT_VERSION,
  QuotaPlan,
  QuotaPlanRow,
  VirtualMachineRequest,
} from '@vmportal/plugin-kubevirt-common';

/**
 * One row of the plan as the action outputs it: quantities in Kubernetes' canonical
 * form (`4Gi`, `100m`).
 *
 * @public
 */
export interface QuotaPlanRowOutput {
  quota: string;
  /** `ResourceQuota`, or `ApplicationAwareResourceQuota` (Application Aware Quota). */
  quotaKind: NonNullable<QuotaPlanRow['quotaKind']>;
  resource: string;
  hard: string;
  used: string;
  thisVm: string;
  duringImportOnly: string;
  after: string;
  fits: boolean;
}

/** The plan's rows with canonical quantities. */
export function quotaPlanRows(plan: QuotaPlan): QuotaPlanRowOutput[] {
  return plan.rows.map(row => ({
    quota: row.quota,
    quotaKind: row.quotaKind ?? 'ResourceQuota',
    resource: row.resource,
    hard: row.hard.toString(),
    used: row.used.toString(),
    thisVm: row.thisVm.toString(),
    duringImportOnly: row.duringImportOnly.toString(),
    after: row.after.toString(),
    fits: row.fits,
  }));
}

/** The quota's name; an ApplicationAwareResourceQuota's with its kind in front. */
function quotaLabel(row: QuotaPlanRow): string {
  return row.quotaKind === 'ApplicationAwareResourceQuota'
    ? `${row.quotaKind} ${row.quota}`
    : row.quota;
}

function humanRows(plan: QuotaPlan): string[][] {
  return plan.rows.map(row => {
    const f = (q: typeof row.hard) => formatQuantityForHumans(row.resource, q);
    const thisVm = row.duringImportOnly.isZero()
      ? f(row.thisVm)
      : `${f(row.thisVm)} (${f(row.duringImportOnly)} while importing)`;
    return [
      quotaLabel(row),
      row.resource,
      f(row.hard),
      f(row.used),
      thisVm,
      f(row.after),
      row.fits ? 'yes' : 'NO',
    ];
  });
}

const HEADER = [
  'quota',
  'resource',
  'hard',
  'used',
  'this VM',
  'after',
  'fits',
];

/** The plan as a plain-text table for the task log. */
export function quotaPlanTable(plan: QuotaPlan): string {
  const rows = [HEADER, ...humanRows(plan)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map(r => r[i].length)));
  return rows
    .map(r =>
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * Text for a Markdown paragraph or table cell: one line, with every character that
 * Markdown or HTML could read as syntax escaped.
 */
export function markdownText(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/[\\`*_{}[\]()#+\-.!|<>~&"':=]/g, '\\$&');
}

/**
 * Text the portal or the cluster wrote (quota and resource names, quantities, the
 * plan's sentences) for a table cell or list item: one line, without Markdown or HTML
 * syntax.
 */
function markdownSafe(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/[\\`*_[\]|<>&~]/g, '\\$&');
}

/** A value shown in a code span (validated names and image references only). */
function code(text: string): string {
  return `\`${text.replace(/[`\u0000-\u001f]/g, '')}\``;
}

function sizeText(
  request: VirtualMachineRequest,
  plan: QuotaPlan,
  quote: (text: string) => string = code,
): string {
  const size = request.size;
  const vcpus = plan.launcher ? `${plan.launcher.vcpus} vCPU` : undefined;
  const base =
    'instancetype' in size
      ? `${quote(size.instancetype.name)}${vcpus ? ` (${vcpus})` : ''}`
      : `${vcpus ?? `${size.cpu.cores} cores`}, ${quote(size.memory)} memory`;
  return size.preference
    ? `${base}, preference ${quote(size.preference.name)}`
    : base;
}

/**
 * The VM's size as a person reads it, in plain text (`u1.medium (1 vCPU), preference
 * fedora`), for the request's record.
 */
export function quotaPlanSizeText(
  request: VirtualMachineRequest,
  plan: QuotaPlan,
): string {
  return sizeText(request, plan, text => text);
}

function imageText(request: VirtualMachineRequest): string {
  const image = request.image;
  if ('containerDisk' in image)
    return `container disk ${code(image.containerDisk.image)}`;
  const where = `${image.size ? code(image.size) : "the source's size"}${
    image.storageClass ? ` in ${code(image.storageClass)}` : ''
  }`;
  if ('dataSource' in image) {
    return `${where} cloned from DataSource ${code(
      `${image.dataSource.namespace}/${image.dataSource.name}`,
    )}`;
  }
  if ('registry' in image)
    return `${where} imported from ${code(image.registry.url)}`;
  return `${where} downloaded from ${code(image.http.url)}`;
}

/**
 * The plan in Markdown for the pull request's body: what is asked for, one table row
 * per quota resource (quota | resource | hard | used | this VM | after | fits), and
 * what does not fit. Every value from the request is escaped or in a code span.
 */
export function quotaPlanMarkdown(
  request: VirtualMachineRequest,
  plan: QuotaPlan,
): string {
  const lines: string[] = [
    `### Quota plan: ${code(request.name)} in ${code(
      request.namespace,
    )} on ${code(request.cluster)}`,
    '',
    `- **Owner:** ${code(request.owner)}`,
    `- **Size:** ${sizeText(request, plan)}`,
    `- **OS disk:** ${imageText(request)}`,
  ];
  if (request.disks.length > 0) {
    lines.push(
      `- **Extra disks:** ${request.disks
        .map(
          d =>
            `${code(d.name)} ${code(d.size)}${
              d.storageClass ? ` in ${code(d.storageClass)}` : ''
            }`,
        )
        .join(', ')}`,
    );
  }
  lines.push(`- **Run strategy:** ${code(request.runStrategy)}`);
  if (request.description) {
    lines.push(`- **Purpose:** ${markdownText(request.description)}`);
  }
  if (plan.launcher) {
    const requests = plan.launcher.pod.requests;
    const parts = ['cpu', 'memory']
      .filter(r => requests[r])
      .map(r => `${r} ${formatQuantityForHumans(r, requests[r])}`);
    lines.push(
      `- **virt-launcher pod requests:** ${parts.join(
        ', ',
      )} (KubeVirt ${KUBEVIRT_VERSION} arithmetic, including its memory overhead)`,
    );
  }
  lines.push('');
  if (plan.rows.length === 0) {
    lines.push(
      `No ResourceQuota in ${code(
        request.namespace,
      )} counts anything this VM uses.`,
    );
  } else {
    lines.push(
      '| Quota | Resource | Hard | Used | This VM | After | Fits |',
      '| --- | --- | ---: | ---: | ---: | ---: | :---: |',
      ...humanRows(plan).map(
        cells =>
          `| ${cells
            .map((cell, i) =>
              // Words, not ✅/❌: a browser without an emoji font draws those as boxes.
              i === 6 && cell !== 'yes' ? '**no**' : markdownSafe(cell),
            )
            .join(' | ')} |`,
      ),
    );
  }
  lines.push('');
  if (plan.fits) {
    lines.push(
      plan.rows.length === 0
        ? 'Nothing limits this VM in its namespace.'
        : 'The VM fits every quota that applies to it.',
    );
  } else {
    lines.push('**The VM does not fit:**', '');
    for (const line of [...plan.shortfalls, ...plan.problems]) {
      lines.push(`- ${markdownSafe(line)}`);
    }
  }
  if (plan.applicationAwareQuota) {
    lines.push(
      '',
      `ApplicationAwareResourceQuota rows count as Application Aware Quota ${plan.applicationAwareQuota.aaqVersion} does in its ${plan.applicationAwareQuota.calculationMode} calculation mode.`,
    );
  }
  if (plan.rows.some(r => !r.duringImportOnly.isZero())) {
    lines.push(
      '',
      '"while importing": CDI\'s temporary claims and importer pods exist only while the disks are filled, but the quota must hold them then.',
    );
  }
  return `${lines.join('\n')}\n`;
}
