import { createApp } from '@backstage/frontend-defaults';
import { homeModule } from './modules/home';
import { navModule } from './modules/nav';

// Plugins are discovered from the app's dependencies (`app.packages: all`), ours included.
export default createApp({
  features: [navModule, homeModule],
});
