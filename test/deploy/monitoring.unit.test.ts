/**
 * deploy/monitoring without servers: the PrometheusRule and the Grafana dashboard have the
 * shape their consumers read, every expression parses as PromQL (Prometheus' own grammar), and
 * the README's alert table names exactly the alerts of the rule file. That each series they
 * select exists is checked on a real worker's /metrics (test/observability/metrics.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  loadDashboard,
  loadRules,
  monitoringExpressions,
  promqlErrors,
  selectedMetrics,
} from '../support/monitoring';

describe('deploy/monitoring', () => {
  it('the rule file is a PrometheusRule whose alerts are named once, each with a severity and a summary', () => {
    const rules = loadRules().spec.groups.flatMap((group) => group.rules);
    const names = rules.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(10);
  });

  it('every expression of the rules and the dashboard parses as PromQL and selects a series', () => {
    const problems = monitoringExpressions().flatMap(({ where, promql }) => [
      ...promqlErrors(promql).map((error) => `${where}: ${error}`),
      ...(selectedMetrics(promql).length === 0 ? [`${where}: selects no series`] : []),
    ]);
    expect(problems).toEqual([]);
  });

  it('the parser refuses broken PromQL and unknown functions (so the check above can fail)', () => {
    expect(promqlErrors('sum by (tenant (rate(xledger_sync_runs_total[5m]))')).not.toEqual([]);
    expect(promqlErrors('rates(xledger_sync_runs_total[5m])')).not.toEqual([]);
    expect(selectedMetrics('sum by (le) (rate(xledger_sync_run_duration_seconds_bucket[5m])) > 1')).toEqual([
      'xledger_sync_run_duration_seconds_bucket',
    ]);
  });

  it('the dashboard has unique panel ids and a tenant variable its queries use', () => {
    const dashboard = loadDashboard();
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list.map((variable) => variable.name)).toContain('tenant');
    const perTenant = dashboard.panels.filter((panel) =>
      panel.targets.some((t) => t.expr.includes('$tenant')),
    );
    expect(perTenant.length).toBeGreaterThan(5);
  });

  it("README's alert table lists exactly the rule file's alerts", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Alerts to set'), readme.indexOf('### Tracing'));
    const listed = [...section.matchAll(/^\| `(XledgerSync\w+)`/gm)].map((m) => m[1]).sort();
    const rules = loadRules()
      .spec.groups.flatMap((group) => group.rules.map((rule) => rule.alert))
      .sort();
    expect(listed).toEqual(rules);
  });
});
