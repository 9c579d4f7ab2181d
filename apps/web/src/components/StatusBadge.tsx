import type { AnalysisStatus } from '@revmemo/contracts';

const LABELS: Record<AnalysisStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
};

export function StatusBadge({ status }: { status: AnalysisStatus }) {
  return (
    <span className={`badge badge-${status}`} data-testid="status">
      {LABELS[status]}
    </span>
  );
}
