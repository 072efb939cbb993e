import { useEffect, useState } from 'react';

function isVisible(): boolean {
  return document.visibilityState !== 'hidden';
}

/** Whether the page is visible now (not a background tab or a minimised window). */
export function useDocumentVisible(): boolean {
  const [visible, setVisible] = useState(isVisible);
  useEffect(() => {
    const onChange = () => setVisible(isVisible());
    document.addEventListener('visibilitychange', onChange);
    onChange();
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);
  return visible;
}
