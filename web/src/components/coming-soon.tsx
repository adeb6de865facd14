import type { ReactNode } from 'react';
import { Page } from './page.js';

/** An area that is not built yet: what it will do, and what one can already do today. */
export function ComingSoon({ title, coming, today }: { title: string; coming: ReactNode; today: ReactNode[] }) {
  return (
    <Page title={title}>
      <section className="card coming-soon" aria-labelledby="coming-title">
        <p className="eyebrow" id="coming-title">
          Coming to Plinth
        </p>
        <p className="coming-soon__lead">{coming}</p>
        <h2 className="coming-soon__today">What you can do today</h2>
        <ul className="checklist">
          {today.map((item, index) => (
            <li key={index}>{item}</li>
          ))}
        </ul>
      </section>
    </Page>
  );
}
