import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// These tests render whole pages with user-event on a shared two-core machine: give
// `findBy*`/`waitFor` and each test room, so a slow moment is not a failure. A test
// still fails the moment an assertion is wrong; only waiting for the UI takes longer.
configure({ asyncUtilTimeout: 10_000 });
jest.setTimeout(60_000);
