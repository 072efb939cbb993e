import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { databaseServer, smallWebServer } from './exampleRequests';

export const examples: TemplateExample[] = [
  {
    description:
      "Plan, render and open a pull request in the GitOps repository (kubevirt.gitops.repoUrl), reviewed by the namespace's owners and the configured approvers.",
    example: yaml.stringify({
      steps: [
        {
          action: 'kubevirt:vm:plan',
          id: 'plan',
          name: 'Check the quota',
          input: smallWebServer,
        },
        {
          action: 'kubevirt:vm:render',
          id: 'render',
          name: 'Render the manifests',
          input: smallWebServer,
        },
        {
          action: 'publish:github:pull-request',
          id: 'pr',
          name: 'Open the pull request',
          input: {
            repoUrl: '${{ steps.render.output.repoUrl }}',
            branchName: '${{ steps.render.output.branchName }}',
            targetBranchName: '${{ steps.render.output.targetBranchName }}',
            title: 'Request VM web-01 in demo-east/team-web',
            description: '${{ steps.plan.output.summaryMarkdown }}',
            sourcePath: '${{ steps.render.output.sourcePath }}',
            targetPath: '${{ steps.render.output.manifestPath }}',
            teamReviewers: '${{ steps.render.output.teamReviewers }}',
            reviewers: '${{ steps.render.output.reviewers }}',
          },
        },
      ],
    }),
  },
  {
    description:
      'Render persistent disks as separate DataVolume files, below a gitops/ folder of the workspace.',
    example: yaml.stringify({
      steps: [
        {
          action: 'kubevirt:vm:render',
          id: 'render',
          name: 'Render the manifests',
          input: {
            ...databaseServer,
            dataVolumes: 'standalone',
            targetPath: 'gitops',
          },
        },
      ],
    }),
  },
  {
    description:
      'Use another repository layout and repository than the configured ones.',
    example: yaml.stringify({
      steps: [
        {
          action: 'kubevirt:vm:render',
          id: 'render',
          name: 'Render the manifests',
          input: {
            ...smallWebServer,
            pathTemplate: 'vms/{cluster}/{namespace}/{name}',
            repoUrl: 'github.com?owner=acme&repo=platform-vms',
          },
        },
      ],
    }),
  },
];
