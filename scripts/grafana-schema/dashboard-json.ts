// The type a classic Grafana dashboard JSON file must have, built from the types Grafana generates from its
// own dashboard schema (@grafana/schema, raw/dashboard/x: the schemaVersion/panels model that "Export as
// JSON" writes and the import API reads). check.sh assigns docs/grafana-dashboard.json to a constant of
// this type and runs tsc, so an unknown or mistyped property anywhere Grafana's types reach fails the build.
import type * as raw from '@grafana/schema/dist/esm/raw/dashboard/x/Dashboard_types.gen';
import type * as stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as timeseries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

/**
 * T as JSON can spell it: Grafana's types use TypeScript enums, and JSON holds the enum's values
 * ("absolute", not ThresholdsMode.Absolute). A string enum becomes the union of its values; numeric
 * enums already accept their number literals.
 */
type AsJson<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends Array<infer E>
      ? Array<AsJson<E>>
      : T extends object
        ? { [K in keyof T]: AsJson<T[K]> }
        : T;

/** Every property optional, at every depth: Grafana fills a panel plugin's defaults for options a dashboard leaves out. */
type DeepPartial<T> = T extends Array<infer E> ? Array<DeepPartial<E>> : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** A panel of plugin `Type` whose options and custom field config are that plugin's own types, not any record. */
type PluginPanel<Type extends string, Options, Custom> = Omit<raw.Panel, 'type' | 'options' | 'fieldConfig'> & {
  type: Type;
  options?: DeepPartial<Options>;
  fieldConfig?: Omit<raw.FieldConfigSource, 'defaults'> & {
    defaults: Omit<raw.FieldConfig, 'custom'> & { custom?: DeepPartial<Custom> };
  };
};

/** The panel types this project's dashboards use; a panel of any other type fails until it is added here. */
type Panel =
  | PluginPanel<'stat', stat.Options, Record<string, never>>
  | PluginPanel<'timeseries', timeseries.Options, timeseries.FieldConfig>;

/** A row holds no queries; its panels are listed inside it only while it is collapsed. */
type RowPanel = Omit<raw.RowPanel, 'panels'> & { panels: Panel[] };

export type DashboardJson = AsJson<Omit<raw.Dashboard, 'panels'> & { panels?: Array<Panel | RowPanel> }>;
