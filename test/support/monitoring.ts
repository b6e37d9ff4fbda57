/**
 * The PromQL of deploy/monitoring (the alert rules and the Grafana dashboard), parsed by
 * Prometheus' own grammar (@prometheus-io/lezer-promql, the parser of Prometheus' web UI):
 * what test/deploy/monitoring.unit.test.ts checks without servers, and what
 * test/observability/metrics.test.ts looks for on a worker's /metrics.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const dir = fileURLToPath(new URL('../../deploy/monitoring/', import.meta.url));
export const RULES_FILE = `${dir}prometheus-rules.yaml`;
export const DASHBOARD_FILE = `${dir}grafana-dashboard.json`;

export const prometheusRuleSchema = z.object({
  apiVersion: z.literal('monitoring.coreos.com/v1'),
  kind: z.literal('PrometheusRule'),
  metadata: z.object({ name: z.string().min(1), labels: z.record(z.string(), z.string()).optional() }),
  spec: z.object({
    groups: z
      .array(
        z.object({
          name: z.string().min(1),
          rules: z
            .array(
              z.strictObject({
                alert: z.string().regex(/^[A-Z][A-Za-z]+$/),
                expr: z.string().min(1),
                for: z
                  .string()
                  .regex(/^\d+[smhd]$/)
                  .optional(),
                labels: z.object({ severity: z.enum(['critical', 'warning', 'info']) }),
                annotations: z.object({ summary: z.string().min(1), description: z.string().optional() }),
              }),
            )
            .min(1),
        }),
      )
      .min(1),
  }),
});

const target = z.object({ refId: z.string(), expr: z.string().min(1), legendFormat: z.string().optional() });
export const dashboardSchema = z.object({
  uid: z.string().min(1),
  title: z.string().min(1),
  schemaVersion: z.number().int(),
  templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string() })) }),
  panels: z
    .array(
      z.object({
        id: z.number().int(),
        type: z.enum(['timeseries', 'stat', 'table', 'gauge']),
        title: z.string().min(1),
        gridPos: z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }),
        targets: z.array(target).min(1),
      }),
    )
    .min(1),
});

export const loadRules = () => prometheusRuleSchema.parse(parseYaml(readFileSync(RULES_FILE, 'utf8')));
export const loadDashboard = () => dashboardSchema.parse(JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')));

/**
 * Grafana's variables are not PromQL: each is replaced by what Grafana sends for it (a range
 * for `$__rate_interval`, a regex for a multi-value variable) before parsing.
 */
const grafanaVariables: Record<string, string> = { $__rate_interval: '5m', $tenant: '.*' };

export interface Expression {
  where: string;
  promql: string;
}

/** Every PromQL expression of deploy/monitoring, named by where it is. */
export function monitoringExpressions(): Expression[] {
  const rules = loadRules().spec.groups.flatMap((group) =>
    group.rules.map((rule) => ({ where: `alert ${rule.alert}`, promql: rule.expr })),
  );
  const panels = loadDashboard().panels.flatMap((panel) =>
    panel.targets.map((t) => ({
      where: `panel "${panel.title}" ${t.refId}`,
      promql: Object.entries(grafanaVariables).reduce(
        (expr, [name, value]) => expr.split(name).join(value),
        t.expr,
      ),
    })),
  );
  return [...rules, ...panels];
}

/** Where the expression does not parse (empty when it does). */
export function promqlErrors(promql: string): string[] {
  const errors: string[] = [];
  parser.parse(promql).iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(`syntax error at ${node.from}: "${promql.slice(node.from, node.to + 10)}"`);
    },
  });
  return errors;
}

/** The metric names the expression selects (the names of its vector and matrix selectors). */
export function selectedMetrics(promql: string): string[] {
  const names = new Set<string>();
  parser.parse(promql).iterate({
    enter(node) {
      if (node.name !== 'VectorSelector') return;
      const name = node.node.getChild('Identifier');
      if (name) names.add(promql.slice(name.from, name.to));
    },
  });
  return [...names];
}

/** Series Prometheus itself makes for every scrape target: never on a /metrics page. */
export const PROMETHEUS_SERIES = new Set(['up']);
