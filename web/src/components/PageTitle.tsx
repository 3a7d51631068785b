// Sets the document title and renders the page's <h1>, which receives focus after navigation
// so screen-reader and keyboard users start at the new content.
import { type ReactNode, useEffect } from 'react';

export function PageTitle({
  title,
  children,
  className,
}: {
  title: string;
  children?: ReactNode;
  className?: string;
}) {
  useEffect(() => {
    document.title = `${title} · Evently`;
  }, [title]);
  return (
    <h1 tabIndex={-1} className={className} data-page-title="">
      {children ?? title}
    </h1>
  );
}
