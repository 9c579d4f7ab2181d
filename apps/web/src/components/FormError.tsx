/**
 * The line under a form where its error appears. The slot keeps its height when empty, so the
 * button does not jump when an error shows; `id` lets an input point at it (aria-describedby).
 */
export function FormError({ error, id }: { error: string | null; id?: string }) {
  return (
    <div className="form-error-slot">
      {error && (
        <p className="form-error" id={id} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
