-- The compliance records added since the application role (0006) are append-only for it in its
-- grants too, not only in their triggers: the gateway's role may add a lifecycle step, a
-- qualified-investor confirmation, an acknowledgement, an assessment or a posting, and never
-- change or remove one (reliability matrix A03). Its owner's triggers stay the second line.
-- The lifecycle's table of steps is reference data: the gateway only reads it.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'fingate_app') then
    revoke update, delete, truncate on product_status_changes, qualified_investor_confirmations,
      disclosure_acknowledgements, risk_assessments, postings from fingate_app;
    revoke insert, update, delete, truncate on product_status_steps from fingate_app;
  end if;
end $$;
