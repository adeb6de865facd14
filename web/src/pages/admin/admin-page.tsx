import { useActor, roleAtLeast } from '../../app/auth-context.js';
import { Link } from '../../app/router.js';
import { Page } from '../../components/page.js';
import { AuditLog } from './audit-log.js';
import { ApiTokens } from './api-tokens.js';

const SECTIONS = [
  { path: '/admin/tokens', label: 'API tokens', adminOnly: false },
  { path: '/admin/audit', label: 'Audit log', adminOnly: true },
] as const;

/** Platform administration: API tokens (everyone signed in, for their own) and the audit log (admins). */
export function AdminPage({ pathname }: { pathname: string }) {
  const actor = useActor();
  const isAdmin = roleAtLeast(actor.role, 'admin');
  const section = SECTIONS.find((s) => pathname === s.path) ?? SECTIONS[0];
  const visible = SECTIONS.filter((s) => isAdmin || !s.adminOnly);

  return (
    <Page title="Admin" description="API tokens for scripts and the CLI, and the record of who did what.">
      <nav className="subnav" aria-label="Admin sections">
        <ul>
          {visible.map((s) => (
            <li key={s.path}>
              <Link to={s.path} aria-current={s.path === section.path ? 'page' : undefined}>
                {s.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {section.path === '/admin/audit' ? (
        isAdmin ? (
          <AuditLog />
        ) : (
          <div className="notice">
            <p className="notice__title">The audit log is for admins</p>
            <p>You are signed in with the {actor.role} role. Ask an admin if you need to know who changed what.</p>
          </div>
        )
      ) : (
        <ApiTokens />
      )}
    </Page>
  );
}
