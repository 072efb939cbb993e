import { availablePowerActions } from './vmView';

describe('availablePowerActions', () => {
  it.each([
    ['Stopped', ['start']],
    ['Running', ['stop', 'restart', 'pause']],
    ['Paused', ['stop', 'unpause']],
    ['Starting', ['stop']],
    ['ErrorUnschedulable', ['stop']],
    ['Stopping', []],
    ['Migrating', []],
    ['SomethingNew', []],
  ])('offers what makes sense for a %s VM', (status, actions) => {
    expect(availablePowerActions(status)).toEqual(actions);
  });
});
