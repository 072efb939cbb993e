import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { databaseServer, smallWebServer } from './exampleRequests';

export const examples: TemplateExample[] = [
  {
    description:
      "Plan a VM of a cluster instancetype against its namespace's quotas; the step fails when it does not fit.",
    example: yaml.stringify({
      steps: [
        {
          action: 'kubevirt:vm:plan',
          id: 'plan',
          name: 'Check the quota',
          input: smallWebServer,
        },
      ],
    }),
  },
  {
    description:
      "Plan a custom size with a persistent OS disk imported from a registry and a data disk; the plan counts the disks' claims and the import's temporary ones.",
    example: yaml.stringify({
      steps: [
        {
          action: 'kubevirt:vm:plan',
          id: 'plan',
          name: 'Check the quota',
          input: databaseServer,
        },
      ],
    }),
  },
  {
    description:
      'Report an over-quota plan without failing (fits: false), e.g. to route the request to an administrator.',
    example: yaml.stringify({
      steps: [
        {
          action: 'kubevirt:vm:plan',
          id: 'plan',
          name: 'Check the quota',
          input: {
            ...smallWebServer,
            name: 'big-batch',
            size: { instancetype: { name: 'u1.8xlarge' } },
            allowOverQuota: true,
          },
        },
      ],
    }),
  },
];
