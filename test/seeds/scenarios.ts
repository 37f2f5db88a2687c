/**
 * Situations taken from the five seed roadmap documents, with what the evaluator must
 * report for each. The runner records every metric one minute before evaluation, puts
 * the team in `stage`, evaluates roadmaps/<roadmap>.yaml and compares.
 *
 * Thresholds are the documents' own; "just met" / "just not met" cases sit on either side
 * of them. Approaching uses the default ratio 0.8.
 */

export type TriggerState = 'ok' | 'approaching' | 'pending' | 'firing' | 'unknown';

export interface SeedScenario {
  roadmap: string;
  name: string;
  stage?: string;
  metrics: Record<string, number | boolean>;
  expect: {
    triggers?: Record<string, TriggerState>;
    gates?: Record<string, boolean>;
    budget?: 'under' | 'within' | 'over' | 'unknown';
    unknown?: string[];
  };
}

/**
 * `metrics` without the named ones. Scenarios that expect missing metrics give every
 * other recorded metric of the roadmap a value, so the missing set is exactly the listed
 * one whether the evaluator reports missing metrics per condition or per roadmap.
 */
function without(
  metrics: Record<string, number | boolean>,
  ...missing: string[]
): Record<string, number | boolean> {
  return Object.fromEntries(Object.entries(metrics).filter(([name]) => !missing.includes(name)));
}

// Every recorded (non-derived) metric of each roadmap, at values that keep the stage
// under test quiet; scenarios override what they are about.
const oviyaAll = {
  active_users: 3000,
  messages_per_user: 12,
  response_time_p95: 600,
  error_rate: 0.5,
  retention_d1: 40,
  retention_d7: 20,
  database_cpu: 40,
  cache_hit_rate: 70,
  uptime: 99.9,
  multi_region_needed: false,
  mrr: 4000,
  paid_users: 240,
  infra_cost: 1000,
  load_tested_users: 3000,
  ai_calls_cached: 35,
  redis_memory: 2_000_000_000,
  chat_service_pods: 6,
};

const miraiAll = {
  daily_active_users: 300,
  messages_per_day: 4000,
  paying_users: 60,
  mrr: 5000,
  avg_messages_per_user: 25,
  avg_response_time: 800,
  active_users: 1000,
  monthly_churn: 4,
  net_churn: 2,
  week1_retention: 32,
  return_within_7d: 55,
  nps: 55,
  cac_payback_months: 10,
  gross_margin: 70,
  user_interviews: 25,
  paying_customer_conversations: 15,
  infra_cost: 25,
  paying_customer_interest: true,
  clear_icp_identified: true,
  enterprise_customer_interest: false,
  series_a_consideration: false,
  fortune_500_customers: false,
  international_expansion: false,
  complex_search: false,
  compliance_need: false,
  cohort_week1_retention: 32,
  median_messages_per_user: 20,
  unused_indexes: 0,
  messages_to_archive: 0,
  events_per_day: 20000,
  db_size: 500_000_000,
  db_bandwidth: 10_000_000_000,
  file_storage: 5_000_000_000,
  slowest_query_ms: 40,
  concurrent_users: 50,
  enterprise_deal_size: 20000,
  monitoring_cost: 0,
  payment_fees: 175,
  marketing_spend: 750,
  team_cost: 0,
  compliance_cost: 0,
  initial_budget_spent: 3000,
  engineers: 1,
  devops_engineers: 0,
  customer_success: 0.5,
  marketers: 0,
  sales: 0,
  security_engineers: 0,
  product_team: 0,
  global_latency: 200,
  read_replicas_per_region: 0,
  failover_rto: 120,
  penetration_tests_12m: 0,
};

const crAudioVizAll = {
  active_users: 520,
  paying_users: 300,
  mrr: 30000,
  response_time_p95: 280,
  uptime: 99.8,
  error_rate: 0.05,
  infra_cost: 3000,
  ai_api_cost: 800,
  concurrent_users: 120,
  asset_storage: 2_000_000_000,
  high_traffic_variability: false,
  read_replicas_live: false,
  support_tickets: 40,
  nps: 45,
  monthly_churn: 3,
  ltv_cac: 3,
  team_efficiency: 1,
  feature_velocity: 6,
  team_cost: 15000,
  vercel_cost: 500,
  supabase_cost: 50,
  redis_cost: 30,
  cdn_cost: 50,
  monitoring_cost: 0,
  function_duration_max: 5,
  serverless_share: 90,
};

const stackAll = {
  mau: 400,
  smb_customers: 30,
  early_revenue: true,
  initial_grants: false,
  enterprise_contracts: false,
  infra_cost: 100,
  mrr: 500,
  grant_income: 0,
  ingest_runs_24h: 24,
};

const storytailorAll = {
  active_users: 4000,
  paid_subscribers: 400,
  mrr: 6000,
  gross_margin: 65,
  infra_cost: 1500,
  free_stories: 2000,
  paid_stories: 800,
  ai_cost: 700,
  voice_cost: 500,
  annual_revenue: 50000,
  team_size: 12,
  english_markets_live: false,
  eu_markets_live: false,
  spanish_markets_live: false,
  global_markets_live: false,
};

const oviya: SeedScenario[] = [
  {
    roadmap: 'oviya',
    name: 'Approaching Tier 0 capacity (400/500 users): 420 active users',
    metrics: { active_users: 420, response_time_p95: 900 },
    expect: { triggers: { 'tier0.upgrade': 'firing' } },
  },
  {
    roadmap: 'oviya',
    name: 'Tier 0 at 350 users, response time fine: approaching the 400+ trigger',
    metrics: { active_users: 350, response_time_p95: 900 },
    expect: { triggers: { 'tier0.upgrade': 'approaching' } },
  },
  {
    // The OR's other branch. The 1.5s "Consider Tier 2 upgrade" alert belongs to Tier 1 (doc
    // L347-350) and is not watched here (test/seeds/oviya.test.ts).
    roadmap: 'oviya',
    name: 'Tier 0: response time >2s (2.5s P95) with only 100 users',
    metrics: { active_users: 100, response_time_p95: 2500 },
    expect: { triggers: { 'tier0.upgrade': 'firing' } },
  },
  {
    roadmap: 'oviya',
    name: 'Tier 0 launch checklist: response time < 2s, cost within $100-200/month',
    metrics: { active_users: 60, response_time_p95: 1000, infra_cost: 150 },
    expect: {
      triggers: { 'tier0.upgrade': 'ok' },
      gates: { latency: true },
      budget: 'within',
    },
  },
  {
    roadmap: 'oviya',
    name: 'Tier 1 upgrade trigger: 1,600+ users',
    stage: 'tier1',
    metrics: { active_users: 1600, database_cpu: 45 },
    expect: { triggers: { 'tier1.upgrade': 'firing' } },
  },
  {
    roadmap: 'oviya',
    name: 'Tier 1 upgrade trigger: DB CPU >70% (75%) at 900 users',
    stage: 'tier1',
    metrics: { active_users: 900, database_cpu: 75 },
    // The "Database CPU high (>80%)" alert belongs to Tier 2 (doc L352-355): not watched here.
    expect: { triggers: { 'tier1.upgrade': 'firing' } },
  },
  {
    roadmap: 'oviya',
    name: 'Tier 1 quality gates met: cache hit 65%, 1.2s response, 99.7% uptime',
    stage: 'tier1',
    metrics: { cache_hit_rate: 65, response_time_p95: 1200, uptime: 99.7, infra_cost: 420 },
    expect: {
      gates: { 'cache-hit': true, latency: true, uptime: true },
      budget: 'within',
    },
  },
  {
    // Uptime exactly 99.5% does not satisfy "Uptime > 99.5%".
    roadmap: 'oviya',
    name: 'Tier 1 quality gates missed: cache hit 52%, 1.6s response, uptime 99.5%',
    stage: 'tier1',
    metrics: { cache_hit_rate: 52, response_time_p95: 1600, uptime: 99.5, infra_cost: 250 },
    expect: {
      triggers: { tier1_to_tier2: 'firing' },
      gates: { 'cache-hit': false, latency: false, uptime: false },
      budget: 'under',
    },
  },
  {
    roadmap: 'oviya',
    name: 'Tier 2 spending $1,400/month against $800-1,200',
    stage: 'tier2',
    metrics: { active_users: 3000, response_time_p95: 600, infra_cost: 1400 },
    expect: { triggers: { 'tier2.upgrade': 'ok' }, gates: { latency: true }, budget: 'over' },
  },
  {
    roadmap: 'oviya',
    name: 'Tier 3 upgrade trigger: need multi-region (flag set) at 6,000 users',
    stage: 'tier3',
    metrics: { active_users: 6000, multi_region_needed: true },
    expect: { triggers: { 'tier3.upgrade': 'firing' } },
  },
  {
    roadmap: 'oviya',
    name: 'Tier 3 at 6,500 users, no multi-region need: approaching 8,000+',
    stage: 'tier3',
    metrics: {
      active_users: 6500,
      multi_region_needed: false,
      response_time_p95: 450,
      uptime: 99.97,
    },
    expect: {
      triggers: { 'tier3.upgrade': 'approaching' },
      gates: { latency: true, uptime: true },
    },
  },
  {
    // false or unknown = unknown: 3,000/4,000 users is not yet approaching.
    roadmap: 'oviya',
    name: 'Tier 2 with no response time data: the 4,000+ OR >1s trigger cannot be decided',
    stage: 'tier2',
    metrics: without(oviyaAll, 'response_time_p95'),
    expect: {
      triggers: { 'tier2.upgrade': 'unknown' },
      unknown: ['response_time_p95'],
    },
  },
  {
    // true or unknown = true.
    roadmap: 'oviya',
    name: 'Tier 0 at 450 users with no response time data: 400+ users decides it',
    metrics: { ...without(oviyaAll, 'response_time_p95'), active_users: 450, infra_cost: 180 },
    expect: { triggers: { 'tier0.upgrade': 'firing' }, unknown: ['response_time_p95'] },
  },
  {
    roadmap: 'oviya',
    name: 'Tier 0 with no infra cost reported',
    metrics: { active_users: 80, response_time_p95: 900 },
    expect: { budget: 'unknown' },
  },
];

const mirai: SeedScenario[] = [
  {
    roadmap: 'mirai',
    name: 'Phase 1 trigger points just met: 10 active daily users, 100 messages per day, first paying customer interest',
    metrics: { daily_active_users: 10, messages_per_day: 100, paying_customer_interest: true },
    expect: { triggers: { 'phase0.upgrade': 'firing' } },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 1 trigger points just not met: 9 active daily users',
    metrics: { daily_active_users: 9, messages_per_day: 120, paying_customer_interest: true },
    expect: { triggers: { 'phase0.upgrade': 'approaching' } },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 2 trigger points just met: 100 active users, 1,000 messages per day, 10 paying customers, $500 MRR',
    stage: 'phase1',
    metrics: { active_users: 100, messages_per_day: 1000, paying_users: 10, mrr: 500 },
    expect: { triggers: { 'phase1.upgrade': 'firing' } },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 2 trigger points just not met: $480 MRR',
    stage: 'phase1',
    metrics: { active_users: 110, messages_per_day: 1200, paying_users: 10, mrr: 480 },
    expect: { triggers: { 'phase1.upgrade': 'approaching' } },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 3 trigger points just met: 1,000 active users, $5,000 MRR, 4.9% monthly churn, clear ICP',
    stage: 'phase2',
    metrics: { active_users: 1000, mrr: 5000, monthly_churn: 4.9, clear_icp_identified: true },
    expect: { triggers: { 'phase2.upgrade': 'firing' } },
  },
  {
    // "<5% monthly churn": exactly 5% is not under it.
    roadmap: 'mirai',
    name: 'Phase 3 trigger points just not met: monthly churn at 5%',
    stage: 'phase2',
    metrics: { active_users: 1200, mrr: 6000, monthly_churn: 5, clear_icp_identified: true },
    expect: { triggers: { 'phase2.upgrade': 'approaching' } },
  },
  {
    // All trigger points are required; $3,000 of $5,000 is short of the 0.8 share.
    roadmap: 'mirai',
    name: 'Phase 2 with 1,000 users but $3,000 MRR: users alone do not trigger Phase 3',
    stage: 'phase2',
    metrics: { active_users: 1000, mrr: 3000, monthly_churn: 3, clear_icp_identified: true },
    expect: { triggers: { 'phase2.upgrade': 'ok' } },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 4 trigger points just met: 10,000 active users, $50,000 MRR, enterprise interest, Series A consideration',
    stage: 'phase3',
    metrics: {
      active_users: 10000,
      mrr: 50000,
      enterprise_customer_interest: true,
      series_a_consideration: true,
    },
    expect: { triggers: { 'phase3.upgrade': 'firing' } },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 4 trigger points just not met: 9,500 active users',
    stage: 'phase3',
    metrics: {
      active_users: 9500,
      mrr: 52000,
      enterprise_customer_interest: true,
      series_a_consideration: true,
    },
    expect: { triggers: { 'phase3.upgrade': 'approaching' } },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 5 trigger points just met: 100,000 users, $1M MRR, Fortune 500 customers, international expansion',
    stage: 'phase4',
    metrics: {
      active_users: 100000,
      mrr: 1_000_000,
      fortune_500_customers: true,
      international_expansion: true,
    },
    expect: { triggers: { 'phase4.upgrade': 'firing' } },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 5 trigger points just not met: $950,000 MRR',
    stage: 'phase4',
    metrics: {
      active_users: 104000,
      mrr: 950_000,
      fortune_500_customers: true,
      international_expansion: true,
    },
    expect: { triggers: { 'phase4.upgrade': 'approaching' } },
  },
  {
    // true and unknown = unknown.
    roadmap: 'mirai',
    name: 'Phase 2 with no churn data: the <5% monthly churn trigger point cannot be decided',
    stage: 'phase2',
    metrics: without(miraiAll, 'monthly_churn'),
    expect: { triggers: { 'phase2.upgrade': 'unknown' }, unknown: ['monthly_churn'] },
  },
  {
    // false and unknown = false, and $3,000 of $5,000 is not approaching.
    roadmap: 'mirai',
    name: 'Phase 2 with no churn data and $3,000 MRR: the trigger is decided not met',
    stage: 'phase2',
    metrics: { ...without(miraiAll, 'monthly_churn'), mrr: 3000 },
    expect: { triggers: { 'phase2.upgrade': 'ok' }, unknown: ['monthly_churn'] },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 0 on Supabase Pro ($25) while the plan is $0',
    metrics: { infra_cost: 25 },
    expect: { budget: 'over' },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 0 success metrics: 12 user interviews, 55% of users return within 7 days',
    metrics: { user_interviews: 12, return_within_7d: 55, infra_cost: 0 },
    expect: { gates: { 'user-interviews': true, 'seven-day-return': true }, budget: 'within' },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 2 still on the free tier: $0 against Supabase Pro $25',
    stage: 'phase2',
    metrics: { infra_cost: 0 },
    expect: { budget: 'under' },
  },
  {
    // conversion is derived: 60 paying of 1,000 active users = 6%.
    roadmap: 'mirai',
    name: 'Phase 2 success metrics: 32% week-1 retention, 6% free to paid, CAC payback 10 months',
    stage: 'phase2',
    metrics: { week1_retention: 32, paying_users: 60, active_users: 1000, cac_payback_months: 10 },
    expect: { gates: { 'week1-retention': true, conversion: true, 'cac-payback': true } },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 3 success metrics partly met: 38% week-1 retention, 4% churn, 7-month payback, NPS 65',
    stage: 'phase3',
    metrics: {
      week1_retention: 38,
      monthly_churn: 4,
      cac_payback_months: 7,
      nps: 65,
      infra_cost: 599,
    },
    expect: {
      gates: { 'week1-retention': false, churn: true, 'cac-payback': false, nps: true },
      budget: 'within',
    },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 5 domination: 1.5% churn, net negative churn, 82% gross margin',
    stage: 'phase5',
    metrics: { monthly_churn: 1.5, net_churn: -0.5, gross_margin: 82 },
    expect: { gates: { churn: true, 'net-negative-churn': true, 'gross-margin': true } },
  },
  {
    // The decision tree is the `database` track: one move at a time, not one alert per leaf.
    roadmap: 'mirai',
    name: 'Decision tree: 50 users, the database track says move to Supabase Pro $25/mo',
    stage: 'phase1',
    metrics: { active_users: 50 },
    expect: { triggers: { 'database.upgrade': 'firing' } },
  },
  {
    roadmap: 'mirai',
    name: 'Decision tree: 45 users, approaching the 50-user Supabase Pro move',
    stage: 'phase1',
    metrics: { active_users: 45 },
    expect: { triggers: { 'database.upgrade': 'approaching' } },
  },
  {
    roadmap: 'mirai',
    name: 'Phase 4 infrastructure at $16,000/month against $5,000-15,000',
    stage: 'phase4',
    metrics: { infra_cost: 16000 },
    expect: { budget: 'over' },
  },
];

const crAudioViz: SeedScenario[] = [
  {
    roadmap: 'cr-audioviz-ai',
    name: 'Phase 1 target reached: 100 paying users, $10K MRR',
    metrics: { paying_users: 100, mrr: 10000 },
    expect: { triggers: { 'phase1.upgrade': 'firing' } },
  },
  {
    roadmap: 'cr-audioviz-ai',
    name: 'Phase 1 nearly there: 92 paying users, $9K MRR',
    metrics: { paying_users: 92, mrr: 9000 },
    expect: { triggers: { 'phase1.upgrade': 'approaching' } },
  },
  {
    // Both halves of the target are needed; $6K of $10K is not approaching.
    roadmap: 'cr-audioviz-ai',
    name: 'Phase 1 with 120 paying users but $6K MRR',
    metrics: { paying_users: 120, mrr: 6000 },
    expect: { triggers: { 'phase1.upgrade': 'ok' } },
  },
  {
    roadmap: 'cr-audioviz-ai',
    name: 'Phase 1 cost $1,200/month, inside $500 → $1,500',
    metrics: { infra_cost: 1200 },
    expect: { budget: 'within' },
  },
  {
    roadmap: 'cr-audioviz-ai',
    name: 'Phase 1 cost $1,800/month, over $500 → $1,500',
    metrics: { infra_cost: 1800 },
    expect: { budget: 'over' },
  },
  {
    roadmap: 'cr-audioviz-ai',
    name: 'Phase 2 performance targets met: P95 280ms, 99.8% uptime, 0.05% errors, $4,500/month',
    stage: 'phase2',
    metrics: { response_time_p95: 280, uptime: 99.8, error_rate: 0.05, infra_cost: 4500 },
    expect: {
      gates: { p95: true, uptime: true, 'error-rate': true },
      triggers: { 'error-rate-high': 'ok' },
      budget: 'within',
    },
  },
  {
    roadmap: 'cr-audioviz-ai',
    name: 'Phase 2 target reached: 500 users, $50K MRR',
    stage: 'phase2',
    metrics: { active_users: 500, mrr: 50000 },
    expect: { triggers: { 'phase2.upgrade': 'firing' } },
  },
  {
    roadmap: 'cr-audioviz-ai',
    name: 'Phase 3 misses P95 < 200ms (250ms) and the < 0.1% error target (0.1%)',
    stage: 'phase3',
    metrics: { response_time_p95: 250, uptime: 99.9, error_rate: 0.1, infra_cost: 22000 },
    expect: {
      gates: { p95: false, uptime: true, 'error-rate': false },
      triggers: { 'error-rate-high': 'firing' },
      budget: 'over',
    },
  },
  {
    roadmap: 'cr-audioviz-ai',
    name: 'Bottleneck: database queries at 1,000+ users (1,050), Phase 3 target still far',
    stage: 'phase3',
    metrics: { active_users: 1050, mrr: 90000 },
    expect: { triggers: { 'database-queries': 'firing', 'phase3.upgrade': 'ok' } },
  },
  {
    roadmap: 'cr-audioviz-ai',
    name: 'Bottleneck: AI API costs at $5,000/month spend ($5,200)',
    stage: 'phase2',
    metrics: { ai_api_cost: 5200, mrr: 48000 },
    expect: { triggers: { 'ai-api-costs': 'firing', 'ai-costs-exceed-revenue': 'ok' } },
  },
  {
    roadmap: 'cr-audioviz-ai',
    name: 'Risk: AI costs exceed revenue ($4,200 against $3,500 MRR)',
    metrics: { ai_api_cost: 4200, mrr: 3500 },
    expect: { triggers: { 'ai-costs-exceed-revenue': 'firing', 'ai-api-costs': 'approaching' } },
  },
  {
    roadmap: 'cr-audioviz-ai',
    name: 'Bottlenecks: 480 concurrent users (real-time at 500+), 12GB of assets (10GB+)',
    metrics: { concurrent_users: 480, asset_storage: 12_000_000_000 },
    expect: { triggers: { 'real-time-features': 'approaching', 'file-storage': 'firing' } },
  },
  {
    // doc L277 "Total: ~$15,000/month" under L133 "Cost: $50,000/month → $100,000/month": the
    // document's own projection is within the phase's cost ceiling, not "under" a band (#15).
    roadmap: 'cr-audioviz-ai',
    name: 'Phase 4 at the projected ~$15,000/month: within the $50,000 → $100,000 ceiling',
    stage: 'phase4',
    metrics: { infra_cost: 15000, active_users: 6000, mrr: 600000 },
    expect: { budget: 'within', triggers: { 'phase4.upgrade': 'ok' } },
  },
  {
    // true and unknown = unknown; the revenue-risk alert cannot be decided either.
    roadmap: 'cr-audioviz-ai',
    name: 'Phase 2 at 520 users with no MRR reported',
    stage: 'phase2',
    metrics: without(crAudioVizAll, 'mrr'),
    expect: {
      triggers: { 'phase2.upgrade': 'unknown', 'ai-costs-exceed-revenue': 'unknown' },
      unknown: ['mrr'],
    },
  },
];

const stack: SeedScenario[] = [
  {
    roadmap: 'craudiovizai-stack',
    name: 'Lean stack: early revenue arrives',
    metrics: { early_revenue: true, initial_grants: false },
    expect: { triggers: { 'lean.upgrade': 'firing' } },
  },
  {
    roadmap: 'craudiovizai-stack',
    name: 'Lean stack: initial grant awarded, no revenue yet',
    metrics: { early_revenue: false, initial_grants: true },
    expect: { triggers: { 'lean.upgrade': 'firing' } },
  },
  {
    roadmap: 'craudiovizai-stack',
    name: 'Lean stack: neither revenue nor grants',
    metrics: { early_revenue: false, initial_grants: false },
    expect: { triggers: { 'lean.upgrade': 'ok' } },
  },
  {
    roadmap: 'craudiovizai-stack',
    name: 'Lean stack: nobody has said yet whether revenue or grants arrived',
    metrics: without(stackAll, 'early_revenue', 'initial_grants'),
    expect: {
      triggers: { 'lean.upgrade': 'unknown' },
      unknown: ['early_revenue', 'initial_grants'],
    },
  },
  {
    roadmap: 'craudiovizai-stack',
    name: 'Mid-term trigger: >1,000 MAUs (1,001)',
    stage: 'near-term',
    metrics: { mau: 1001, smb_customers: 20 },
    expect: { triggers: { 'near-term.upgrade': 'firing' } },
  },
  {
    // ">1,000" is strict: exactly 1,000 has covered the whole way but is not over it.
    roadmap: 'craudiovizai-stack',
    name: 'Mid-term trigger: exactly 1,000 MAUs is not >1,000',
    stage: 'near-term',
    metrics: { mau: 1000, smb_customers: 20 },
    expect: { triggers: { 'near-term.upgrade': 'approaching' } },
  },
  {
    roadmap: 'craudiovizai-stack',
    name: 'Mid-term trigger: >100 SMBs (101) with 300 MAUs',
    stage: 'near-term',
    metrics: { mau: 300, smb_customers: 101 },
    expect: { triggers: { 'near-term.upgrade': 'firing' } },
  },
  {
    roadmap: 'craudiovizai-stack',
    name: 'Near-term stack at 850 MAUs and 40 SMBs: approaching >1,000 MAUs',
    stage: 'near-term',
    metrics: { mau: 850, smb_customers: 40 },
    expect: { triggers: { 'near-term.upgrade': 'approaching' } },
  },
  {
    roadmap: 'craudiovizai-stack',
    name: 'Near-term stack at 500 MAUs and 50 SMBs',
    stage: 'near-term',
    metrics: { mau: 500, smb_customers: 50 },
    expect: { triggers: { 'near-term.upgrade': 'ok' } },
  },
  {
    // false or unknown = unknown.
    roadmap: 'craudiovizai-stack',
    name: 'Near-term stack at 400 MAUs with no SMB count',
    stage: 'near-term',
    metrics: without(stackAll, 'smb_customers'),
    expect: { triggers: { 'near-term.upgrade': 'unknown' }, unknown: ['smb_customers'] },
  },
  {
    // true or unknown = true.
    roadmap: 'craudiovizai-stack',
    name: 'Near-term stack with 120 SMBs and no MAU count',
    stage: 'near-term',
    metrics: { ...without(stackAll, 'mau'), smb_customers: 120 },
    expect: { triggers: { 'near-term.upgrade': 'firing' }, unknown: ['mau'] },
  },
  {
    roadmap: 'craudiovizai-stack',
    name: 'Long-term trigger: >10K MAUs (10,001)',
    stage: 'mid-term',
    metrics: { mau: 10001, enterprise_contracts: false },
    expect: { triggers: { 'mid-term.upgrade': 'firing' } },
  },
  {
    roadmap: 'craudiovizai-stack',
    name: 'Long-term trigger: enterprise contracts at 3,000 MAUs',
    stage: 'mid-term',
    metrics: { mau: 3000, enterprise_contracts: true },
    expect: { triggers: { 'mid-term.upgrade': 'firing' } },
  },
];

const storytailor: SeedScenario[] = [
  {
    roadmap: 'storytailor',
    name: '0-1,000 users band left: 1,000 users',
    metrics: { active_users: 1000 },
    expect: { triggers: { 'current.upgrade': 'firing' } },
  },
  {
    roadmap: 'storytailor',
    name: '850 users, approaching the 1,000-10,000 band',
    metrics: { active_users: 850 },
    expect: { triggers: { 'current.upgrade': 'approaching' } },
  },
  {
    roadmap: 'storytailor',
    name: '700 users on the current infrastructure at $480/month',
    metrics: { active_users: 700, infra_cost: 480 },
    expect: { triggers: { 'current.upgrade': 'ok' }, budget: 'within' },
  },
  {
    roadmap: 'storytailor',
    name: 'Current infrastructure at $650/month, over the $500 of 0-1,000 users',
    metrics: { active_users: 700, infra_cost: 650 },
    expect: { budget: 'over' },
  },
  {
    // The Revenue Milestones (doc L517-520) are projections (plans), not exit gates: see
    // test/seeds/storytailor.test.ts. AI at $0.15/free story and $1.00/paid story (L183-184).
    roadmap: 'storytailor',
    name: 'AI cost $500 for 1,000 free and 300 paid stories: over the $450 the per-story costs allow',
    metrics: { active_users: 700, free_stories: 1000, paid_stories: 300, ai_cost: 500 },
    expect: { triggers: { 'budget.ai': 'firing' } },
  },
  {
    roadmap: 'storytailor',
    name: 'AI cost $300 for 1,000 free and 300 paid stories, within the $450 per-story budget',
    metrics: { active_users: 700, free_stories: 1000, paid_stories: 300, ai_cost: 300 },
    expect: { triggers: { 'budget.ai': 'ok' } },
  },
  {
    roadmap: 'storytailor',
    name: '1,000-10,000 band left: 10,000 users',
    stage: 'optimized',
    metrics: { active_users: 10000, infra_cost: 1800 },
    expect: { triggers: { 'optimized.upgrade': 'firing' }, budget: 'within' },
  },
  {
    roadmap: 'storytailor',
    name: '9,000 users in the optimized band at $800/month',
    stage: 'optimized',
    metrics: { active_users: 9000, infra_cost: 800 },
    expect: { triggers: { 'optimized.upgrade': 'approaching' }, budget: 'under' },
  },
  {
    roadmap: 'storytailor',
    name: '10,000-50,000 band left: 50,000 users',
    stage: 'scaled',
    metrics: { active_users: 50000, infra_cost: 7500 },
    expect: { triggers: { 'scaled.upgrade': 'firing' }, budget: 'within' },
  },
  {
    roadmap: 'storytailor',
    name: '50,000-100,000 band left: 100,000 users at $45,000/month',
    stage: 'enterprise',
    metrics: { active_users: 100000, infra_cost: 45000 },
    expect: { triggers: { 'enterprise.upgrade': 'firing' }, budget: 'over' },
  },
  {
    roadmap: 'storytailor',
    name: 'Optimized band with no user count reported',
    stage: 'optimized',
    metrics: without(storytailorAll, 'active_users'),
    expect: {
      triggers: { 'optimized.upgrade': 'unknown' },
      unknown: ['active_users'],
      budget: 'within',
    },
  },
];

export const seedScenarios: SeedScenario[] = [
  ...oviya,
  ...mirai,
  ...crAudioViz,
  ...stack,
  ...storytailor,
];
