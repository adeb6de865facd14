/** Tables owned by repositories/. */
export type RepositoryTables = {
  repositories: DbRepositoryRow;
};

export interface DbRepositoryRow {
  id: string;
  namespace: string;
  name: string;
  /** Entity ref of the owning group or user (`group:default/payments-team`). */
  owner: string | null;
  description: string | null;
  default_branch: string;
  created_by: string;
  created_at: number;
}
