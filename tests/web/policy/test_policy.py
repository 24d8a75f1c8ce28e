"""The permission policy, pinned: every signed-in route x role -> allowed or 403.

The table below is the policy as a person reviewed it (columns: Admin, Marketer,
Telemarketer, Salesperson, Sales manager; `x` allowed, `.` refused with 403). It is
data, not derived from the routes' own guards: a guard changed in the code fails
here until the table is changed with it, on purpose. A route the app serves that
the table does not list fails too.

"Allowed" means the role check let the call through: the walk sends `{}` to a
made-up id, so the answer is then a 404 or a 422, never a 403.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leadflow.users.domain import Role
from tests.web.policy.walk import (
    OPEN_ROUTES,
    all_routes,
    answer,
    authorize_of,
    concrete,
    guarded_routes,
)

ROLES = (Role.ADMIN, Role.MARKETER, Role.TELEMARKETER, Role.SALESPERSON, Role.SALES_MANAGER)

POLICY_TABLE = """
method path                                                                               A M T S SM
GET    /                                                                                  x x x x x
GET    /accounts                                                                          x x x x x
GET    /accounts/new                                                                      x x . x x
POST   /accounts/new                                                                      x x . x x
GET    /accounts/{record_id:int}                                                          x x x x x
GET    /accounts/{record_id:int}/delete                                                   x x . x x
POST   /accounts/{record_id:int}/delete                                                   x x . x x
GET    /accounts/{record_id:int}/edit                                                     x x . x x
POST   /accounts/{record_id:int}/edit                                                     x x . x x
GET    /api/v1/accounts                                                                   x x x x x
POST   /api/v1/accounts                                                                   x x . x x
DELETE /api/v1/accounts/{record_id}                                                       x x . x x
GET    /api/v1/accounts/{record_id}                                                       x x x x x
PATCH  /api/v1/accounts/{record_id}                                                       x x . x x
GET    /api/v1/automation/catalogue                                                       x x . . x
GET    /api/v1/automation/jobs/{job_id}                                                   x x . . x
POST   /api/v1/automation/orphans/backfill                                                x x . . .
GET    /api/v1/automation/rules                                                           x x . . x
POST   /api/v1/automation/rules                                                           x x . . .
DELETE /api/v1/automation/rules/{rule_id}                                                 x x . . .
GET    /api/v1/automation/rules/{rule_id}                                                 x x . . x
PATCH  /api/v1/automation/rules/{rule_id}                                                 x x . . .
GET    /api/v1/automation/rules/{rule_id}/runs                                            x x . . x
GET    /api/v1/call-list                                                                  x x x x x
GET    /api/v1/contacts                                                                   x x x x x
POST   /api/v1/contacts                                                                   x x x x x
GET    /api/v1/contacts/{contact_id}/activities                                           x x x x x
GET    /api/v1/contacts/{contact_id}/interactions                                         x x x x x
GET    /api/v1/contacts/{contact_id}/leads                                                x x x x x
POST   /api/v1/contacts/{contact_id}/notes                                                x x x x x
GET    /api/v1/contacts/{contact_id}/segments                                             x x x x x
GET    /api/v1/contacts/{contact_id}/journeys                                             x x . . .
DELETE /api/v1/contacts/{record_id}                                                       x x x x x
GET    /api/v1/contacts/{record_id}                                                       x x x x x
PATCH  /api/v1/contacts/{record_id}                                                       x x x x x
POST   /api/v1/contacts/{record_id}/merge                                                 x x x x x
GET    /api/v1/dashboard                                                                  x x x x x
GET    /api/v1/deadlines                                                                  x x x x x
PUT    /api/v1/deadlines                                                                  x . . . .
GET    /api/v1/duplicates/{entity}                                                        x x x x x
POST   /api/v1/duplicates/{entity}/check                                                  x x x x x
GET    /api/v1/emails/messages                                                            x x . . .
POST   /api/v1/emails/preview                                                             x x . . .
GET    /api/v1/emails/templates                                                           x x . . .
POST   /api/v1/emails/templates                                                           x x . . .
DELETE /api/v1/emails/templates/{template_id}                                             x x . . .
GET    /api/v1/emails/templates/{template_id}                                             x x . . .
PATCH  /api/v1/emails/templates/{template_id}                                             x x . . .
POST   /api/v1/emails/templates/{template_id}/test-send                                   x x . . .
POST   /api/v1/emails/test-send                                                           x x . . .
GET    /api/v1/events                                                                     x x x x x
POST   /api/v1/events                                                                     x x . . .
DELETE /api/v1/events/{event_id}                                                          x x . . .
GET    /api/v1/events/{event_id}                                                          x x x x x
PATCH  /api/v1/events/{event_id}                                                          x x . . .
GET    /api/v1/events/{event_id}/registrations                                            x x x x x
POST   /api/v1/events/{event_id}/registrations/{registration_id}/check-in                 x x . . .
GET    /api/v1/fields                                                                     x x x x x
POST   /api/v1/fields                                                                     x . . . .
GET    /api/v1/fields/{entity}                                                            x x x x x
DELETE /api/v1/fields/{entity}/{name}                                                     x . . . .
GET    /api/v1/forms                                                                      x x . . .
POST   /api/v1/forms                                                                      x x . . .
DELETE /api/v1/forms/{form_id}                                                            x x . . .
GET    /api/v1/forms/{form_id}                                                            x x . . .
PATCH  /api/v1/forms/{form_id}                                                            x x . . .
GET    /api/v1/forms/{form_id}/submissions                                                x x . . .
GET    /api/v1/imports                                                                    x x . . .
POST   /api/v1/imports                                                                    x x . . .
GET    /api/v1/imports/mappings                                                           x x . . .
PUT    /api/v1/imports/mappings                                                           x x . . .
GET    /api/v1/imports/{import_id}                                                        x x . . .
GET    /api/v1/imports/{import_id}/dry-run                                                x x . . .
POST   /api/v1/imports/{import_id}/dry-run                                                x x . . .
GET    /api/v1/imports/{import_id}/errors                                                 x x . . .
PUT    /api/v1/imports/{import_id}/mapping                                                x x . . .
POST   /api/v1/imports/{import_id}/run                                                    x x . . .
POST   /api/v1/imports/{import_id}/undo                                                   x x . . .
GET    /api/v1/interactions                                                               x x x x x
POST   /api/v1/interactions                                                               x x x x x
POST   /api/v1/interactions/batch                                                         x x x x x
GET    /api/v1/interactions/{interaction_id}                                              x x x x x
GET    /api/v1/jobs                                                                       x x x x x
GET    /api/v1/jobs/{job_id}                                                              x x x x x
POST   /api/v1/jobs/{job_id}/cancel                                                       x x x x x
GET    /api/v1/journeys                                                                   x x . . .
POST   /api/v1/journeys                                                                   x x . . .
DELETE /api/v1/journeys/{journey_id}                                                      x x . . .
GET    /api/v1/journeys/{journey_id}                                                      x x . . .
PATCH  /api/v1/journeys/{journey_id}                                                      x x . . .
GET    /api/v1/journeys/{journey_id}/counts                                               x x . . .
POST   /api/v1/journeys/{journey_id}/go-live                                              x x . . .
POST   /api/v1/journeys/{journey_id}/resume                                               x x . . .
GET    /api/v1/journeys/{journey_id}/splits                                               x x . . .
POST   /api/v1/journeys/{journey_id}/stop                                                 x x . . .
GET    /api/v1/leads                                                                      x x x x x
POST   /api/v1/leads                                                                      x x x x x
POST   /api/v1/leads/with-contact                                                         x x x x x
POST   /api/v1/leads/{lead_id}/accept                                                     x . . . x
GET    /api/v1/leads/{lead_id}/activities                                                 x x x x x
POST   /api/v1/leads/{lead_id}/assign                                                     x . . . x
POST   /api/v1/leads/{lead_id}/calls                                                      x x x x x
POST   /api/v1/leads/{lead_id}/disqualify                                                 x . . x x
POST   /api/v1/leads/{lead_id}/notes                                                      x x x x x
GET    /api/v1/leads/{lead_id}/process                                                    x x x x x
POST   /api/v1/leads/{lead_id}/process/abandon                                            x x x x x
POST   /api/v1/leads/{lead_id}/process/finish                                             x x x x x
POST   /api/v1/leads/{lead_id}/process/next                                               x x x x x
POST   /api/v1/leads/{lead_id}/process/stage                                              x x x x x
POST   /api/v1/leads/{lead_id}/process/switch                                             x x x x x
POST   /api/v1/leads/{lead_id}/qualify                                                    x . . x x
POST   /api/v1/leads/{lead_id}/reactivate                                                 x . . x x
POST   /api/v1/leads/{lead_id}/recycle                                                    x . . x x
GET    /api/v1/leads/{lead_id}/scores                                                     x x x x x
GET    /api/v1/leads/{lead_id}/tasks                                                      x x x x x
GET    /api/v1/leads/{lead_id}/timeline                                                   x x x x x
DELETE /api/v1/leads/{record_id}                                                          x x x x x
GET    /api/v1/leads/{record_id}                                                          x x x x x
PATCH  /api/v1/leads/{record_id}                                                          x x x x x
POST   /api/v1/leads/{record_id}/merge                                                    x x x x x
GET    /api/v1/linkedin/connections                                                       x x . . .
POST   /api/v1/linkedin/connections                                                       x x . . .
DELETE /api/v1/linkedin/connections/{connection_id}                                       x x . . .
GET    /api/v1/linkedin/connections/{connection_id}                                       x x . . .
PATCH  /api/v1/linkedin/connections/{connection_id}                                       x x . . .
GET    /api/v1/linkedin/connections/{connection_id}/forms                                 x x . . .
GET    /api/v1/linkedin/connections/{connection_id}/responses                             x x . . .
POST   /api/v1/linkedin/connections/{connection_id}/subscription                          x x . . .
DELETE /api/v1/linkedin/connections/{connection_id}/subscription                          x x . . .
POST   /api/v1/linkedin/connections/{connection_id}/sync                                  x x . . .
GET    /api/v1/linkedin/forms/{form_id}                                                   x x . . .
PUT    /api/v1/linkedin/forms/{form_id}/mappings                                          x x . . .
GET    /api/v1/linkedin/mappings                                                          x x . . .
PUT    /api/v1/linkedin/mappings                                                          x x . . .
GET    /api/v1/linkedin/strategies                                                        x x . . .
POST   /api/v1/linkedin/strategies                                                        x x . . .
DELETE /api/v1/linkedin/strategies/{strategy_id}                                          x x . . .
PATCH  /api/v1/linkedin/strategies/{strategy_id}                                          x x . . .
POST   /api/v1/linkedin/strategies/{strategy_id}/activate                                 x x . . .
GET    /api/v1/matching-strategies                                                        x x . . .
POST   /api/v1/matching-strategies                                                        x x . . .
DELETE /api/v1/matching-strategies/{strategy_id}                                          x x . . .
GET    /api/v1/matching-strategies/{strategy_id}                                          x x . . .
PATCH  /api/v1/matching-strategies/{strategy_id}                                          x x . . .
GET    /api/v1/me                                                                         x x x x x
GET    /api/v1/notifications                                                              x x x x x
POST   /api/v1/notifications/read                                                         x x x x x
GET    /api/v1/opportunities                                                              x x . x x
POST   /api/v1/opportunities                                                              x . . x x
DELETE /api/v1/opportunities/{record_id}                                                  x . . x x
GET    /api/v1/opportunities/{record_id}                                                  x x . x x
PATCH  /api/v1/opportunities/{record_id}                                                  x . . x x
GET    /api/v1/org-settings                                                               x x . . x
GET    /api/v1/org-settings/{key}                                                         x x . . x
PUT    /api/v1/org-settings/{key}                                                         x x . . .
GET    /api/v1/outbox                                                                     x . . . .
GET    /api/v1/outbox/parked                                                              x . . . .
POST   /api/v1/outbox/parked/retry                                                        x . . . .
GET    /api/v1/processes                                                                  x x x x x
POST   /api/v1/processes/import                                                           x . . . .
GET    /api/v1/processes/{key}/export                                                     x x x x x
GET    /api/v1/queues/{queue}                                                             x x x x x
GET    /api/v1/scoring/jobs/{job_id}                                                      x x x x x
GET    /api/v1/scoring/models                                                             x x x x x
POST   /api/v1/scoring/models                                                             x x . . .
DELETE /api/v1/scoring/models/{model_id}                                                  x x . . .
GET    /api/v1/scoring/models/{model_id}                                                  x x x x x
PATCH  /api/v1/scoring/models/{model_id}                                                  x x . . .
GET    /api/v1/scoring/models/{model_id}/backtest                                         x x x x x
POST   /api/v1/scoring/models/{model_id}/check                                            x x . . .
POST   /api/v1/scoring/models/{model_id}/go-live                                          x x . . .
GET    /api/v1/scoring/models/{model_id}/insights                                         x x x x x
GET    /api/v1/scoring/models/{model_id}/scores                                           x x x x x
POST   /api/v1/scoring/models/{model_id}/stop                                             x x . . .
POST   /api/v1/scoring/models/{model_id}/what-if                                          x x . . .
GET    /api/v1/scoring/predictive                                                         x x x x x
POST   /api/v1/scoring/predictive/train                                                   x x . . .
POST   /api/v1/scoring/rescore                                                            x x . . .
GET    /api/v1/scoring/switches                                                           x x x x x
PUT    /api/v1/scoring/switches/{key}                                                     x x . . .
GET    /api/v1/segments                                                                   x x x x x
POST   /api/v1/segments                                                                   x x . . .
POST   /api/v1/segments/estimate                                                          x x x x x
DELETE /api/v1/segments/{segment_id}                                                      x x . . .
GET    /api/v1/segments/{segment_id}                                                      x x x x x
PATCH  /api/v1/segments/{segment_id}                                                      x x . . .
POST   /api/v1/segments/{segment_id}/build                                                x x . . .
GET    /api/v1/segments/{segment_id}/explain/{contact_id}                                 x x x x x
GET    /api/v1/segments/{segment_id}/export                                               x x x x x
POST   /api/v1/segments/{segment_id}/go-live                                              x x . . .
GET    /api/v1/segments/{segment_id}/history                                              x x x x x
GET    /api/v1/segments/{segment_id}/members                                              x x x x x
POST   /api/v1/segments/{segment_id}/members                                              x x . . .
POST   /api/v1/segments/{segment_id}/members/remove                                       x x . . .
POST   /api/v1/segments/{segment_id}/stop                                                 x x . . .
GET    /api/v1/segments/{segment_id}/versions                                             x x x x x
GET    /api/v1/submissions/{submission_id}                                                x x . . .
POST   /api/v1/submissions/{submission_id}/resubmit                                       x x . . .
GET    /api/v1/switches                                                                   x x . . x
PUT    /api/v1/switches/{key}                                                             x x . . .
POST   /api/v1/tasks                                                                      x x x x x
POST   /api/v1/tasks/check-deadlines                                                      x . . . .
POST   /api/v1/tasks/{task_id}/complete                                                   x x x x x
GET    /api/v1/users                                                                      x . . . x
POST   /api/v1/users                                                                      x . . . .
GET    /api/v1/users/{user_id}                                                            x . . . x
PATCH  /api/v1/users/{user_id}                                                            x . . . .
POST   /api/v1/users/{user_id}/tokens                                                     x . . . .
GET    /api/v1/views                                                                      x x x x x
POST   /api/v1/views                                                                      x x x x x
DELETE /api/v1/views/{view_id}                                                            x x x x x
PUT    /api/v1/views/{view_id}                                                            x x x x x
GET    /api/v1/views/{view_id}/records                                                    x x x x x
GET    /call-list                                                                         x x x x x
GET    /contacts                                                                          x x x x x
GET    /contacts/new                                                                      x x x x x
POST   /contacts/new                                                                      x x x x x
GET    /contacts/{record_id:int}                                                          x x x x x
POST   /contacts/{record_id:int}/activities/note                                          x x x x x
GET    /contacts/{record_id:int}/delete                                                   x x x x x
POST   /contacts/{record_id:int}/delete                                                   x x x x x
GET    /contacts/{record_id:int}/edit                                                     x x x x x
POST   /contacts/{record_id:int}/edit                                                     x x x x x
GET    /dashboard                                                                         x x x x x
GET    /duplicates                                                                        x x x x x
POST   /duplicates/check                                                                  x x x x x
GET    /duplicates/{entity}/{first:int}/{second:int}                                      x x x x x
POST   /duplicates/{entity}/{first:int}/{second:int}                                      x x x x x
GET    /emails                                                                            x x . . .
GET    /emails/messages                                                                   x x . . .
GET    /emails/new                                                                        x x . . .
POST   /emails/new                                                                        x x . . .
GET    /emails/outbox                                                                     x x . . .
GET    /emails/outbox/{caught_id:int}                                                     x x . . .
POST   /emails/test-send                                                                  x x . . .
GET    /emails/{template_id:int}                                                          x x . . .
POST   /emails/{template_id:int}                                                          x x . . .
GET    /events                                                                            x x x x x
POST   /events                                                                            x x . . .
GET    /events/{event_id:int}                                                             x x x x x
POST   /events/{event_id:int}/registrations/{registration_id:int}/check-in                x x . . .
GET    /forms                                                                             x x . . .
GET    /forms/new                                                                         x x . . .
POST   /forms/new                                                                         x x . . .
GET    /forms/{form_id:int}                                                               x x . . .
GET    /forms/{form_id:int}/edit                                                          x x . . .
POST   /forms/{form_id:int}/edit                                                          x x . . .
POST   /forms/{form_id:int}/submissions/{submission_id:int}/resubmit                      x x . . .
GET    /imports                                                                           x x . . .
POST   /imports                                                                           x x . . .
GET    /imports/{import_id}                                                               x x . . .
GET    /imports/{import_id}/errors.csv                                                    x x . . .
POST   /imports/{import_id}/mapping                                                       x x . . .
POST   /imports/{import_id}/undo                                                          x x . . .
GET    /jobs                                                                              x x . . .
GET    /jobs/{job_id:int}                                                                 x x x x x
POST   /jobs/{job_id:int}/cancel                                                          x x x x x
GET    /journeys                                                                          x x . . .
POST   /journeys/new                                                                      x x . . .
GET    /journeys/{journey_id:int}                                                         x x . . .
POST   /journeys/{journey_id:int}                                                         x x . . .
POST   /journeys/{journey_id:int}/go-live                                                 x x . . .
POST   /journeys/{journey_id:int}/resume                                                  x x . . .
POST   /journeys/{journey_id:int}/stop                                                    x x . . .
GET    /leads                                                                             x x x x x
GET    /leads/new                                                                         x x x x x
POST   /leads/new                                                                         x x x x x
POST   /leads/{lead_id:int}/accept                                                        x . . . x
POST   /leads/{lead_id:int}/activities/call                                               x x x x x
POST   /leads/{lead_id:int}/disqualify                                                    x . . x x
POST   /leads/{lead_id:int}/process/next                                                  x x x x x
POST   /leads/{lead_id:int}/process/set-active                                            x x x x x
POST   /leads/{lead_id:int}/process/steps                                                 x x x x x
POST   /leads/{lead_id:int}/qualify                                                       x . . x x
POST   /leads/{lead_id:int}/reactivate                                                    x . . x x
POST   /leads/{lead_id:int}/recycle                                                       x . . x x
GET    /leads/{record_id:int}                                                             x x x x x
POST   /leads/{record_id:int}/activities/note                                             x x x x x
GET    /leads/{record_id:int}/delete                                                      x x x x x
POST   /leads/{record_id:int}/delete                                                      x x x x x
GET    /leads/{record_id:int}/edit                                                        x x x x x
POST   /leads/{record_id:int}/edit                                                        x x x x x
POST   /logout                                                                            x x x x x
GET    /notifications                                                                     x x x x x
POST   /notifications/read                                                                x x x x x
GET    /opportunities                                                                     x x . x x
GET    /opportunities/new                                                                 x . . x x
POST   /opportunities/new                                                                 x . . x x
GET    /opportunities/{record_id:int}                                                     x x . x x
GET    /opportunities/{record_id:int}/delete                                              x . . x x
POST   /opportunities/{record_id:int}/delete                                              x . . x x
GET    /opportunities/{record_id:int}/edit                                                x . . x x
POST   /opportunities/{record_id:int}/edit                                                x . . x x
GET    /queues                                                                            x x x x x
GET    /scoring                                                                           x x x x x
GET    /scoring/models/{model_id:int}                                                     x x x x x
POST   /scoring/models/{model_id:int}/check                                               x x . . .
POST   /scoring/models/{model_id:int}/go-live                                             x x . . .
POST   /scoring/models/{model_id:int}/grades                                              x x . . .
POST   /scoring/models/{model_id:int}/rescore                                             x x . . .
POST   /scoring/models/{model_id:int}/rules                                               x x . . .
POST   /scoring/models/{model_id:int}/rules/{index:int}/conditions                        x x . . .
POST   /scoring/models/{model_id:int}/rules/{index:int}/conditions/{position:int}/delete  x x . . .
POST   /scoring/models/{model_id:int}/rules/{index:int}/delete                            x x . . .
POST   /scoring/models/{model_id:int}/stop                                                x x . . .
POST   /scoring/models/{model_id:int}/summary                                             x x . . .
POST   /scoring/models/{model_id:int}/what-if                                             x x . . .
POST   /scoring/new                                                                       x x . . .
POST   /scoring/switches                                                                  x x . . .
GET    /segments                                                                          x x x x x
POST   /segments/new                                                                      x x . . .
GET    /segments/{segment_id:int}                                                         x x x x x
POST   /segments/{segment_id:int}/build                                                   x x . . .
GET    /segments/{segment_id:int}/contacts/{contact_id:int}                               x x x x x
POST   /segments/{segment_id:int}/definition                                              x x . . .
POST   /segments/{segment_id:int}/delete                                                  x x . . .
POST   /segments/{segment_id:int}/go-live                                                 x x . . .
POST   /segments/{segment_id:int}/members                                                 x x . . .
POST   /segments/{segment_id:int}/parts                                                   x x . . .
POST   /segments/{segment_id:int}/stop                                                    x x . . .
GET    /settings                                                                          x x x x x
GET    /settings/automation                                                               x x . . x
POST   /settings/automation/orphans/backfill                                              x x . . .
POST   /settings/automation/rules                                                         x x . . .
GET    /settings/automation/rules/{rule_id}                                               x x . . x
POST   /settings/automation/rules/{rule_id}                                               x x . . .
POST   /settings/automation/rules/{rule_id}/switch                                        x x . . .
POST   /settings/automation/switches/{key}                                                x x . . .
GET    /settings/events                                                                   x . . . .
POST   /settings/events/retry                                                             x . . . .
GET    /settings/fields                                                                   x x x x x
POST   /settings/fields                                                                   x . . . .
GET    /settings/fields/{entity}/{name}/remove                                            x . . . .
POST   /settings/fields/{entity}/{name}/remove                                            x . . . .
GET    /settings/linkedin                                                                 x x . . .
POST   /settings/linkedin/authorize                                                       x x . . .
GET    /settings/linkedin/callback                                                        x x . . .
POST   /settings/linkedin/connections                                                     x x . . .
GET    /settings/linkedin/connections/{connection_id:int}                                 x x . . .
POST   /settings/linkedin/connections/{connection_id:int}/authorize                       x x . . .
POST   /settings/linkedin/connections/{connection_id:int}/edit                            x x . . .
POST   /settings/linkedin/connections/{connection_id:int}/subscription                    x x . . .
POST   /settings/linkedin/connections/{connection_id:int}/subscription/delete             x x . . .
POST   /settings/linkedin/connections/{connection_id:int}/sync                            x x . . .
GET    /settings/linkedin/forms/{form_id:int}                                             x x . . .
POST   /settings/linkedin/forms/{form_id:int}                                             x x . . .
POST   /settings/linkedin/mappings                                                        x x . . .
POST   /settings/linkedin/strategies                                                      x x . . .
POST   /settings/linkedin/strategies/{strategy_id:int}/activate                           x x . . .
POST   /settings/linkedin/strategies/{strategy_id:int}/switches                           x x . . .
GET    /settings/matching                                                                 x x . . .
POST   /settings/matching                                                                 x x . . .
POST   /settings/matching/{strategy_id:int}/default                                       x x . . .
POST   /settings/matching/{strategy_id:int}/delete                                        x x . . .
POST   /settings/matching/{strategy_id:int}/duplicates                                    x x . . .
GET    /settings/org                                                                      x x . . x
POST   /settings/org                                                                      x x . . .
GET    /settings/process                                                                  x . . . .
POST   /settings/process/check-deadlines                                                  x . . . .
POST   /settings/process/deadlines                                                        x . . . .
POST   /settings/process/import                                                           x . . . .
GET    /settings/process/{key}/export.{fmt}                                               x . . . .
POST   /settings/process/{key}/transitions/{transition}/switch                            x . . . .
GET    /settings/users                                                                    x . . . x
POST   /settings/users                                                                    x . . . .
GET    /settings/users/{user_id:int}                                                      x . . . x
POST   /settings/users/{user_id:int}                                                      x . . . .
POST   /settings/users/{user_id:int}/tokens                                               x . . . .
GET    /settings/users/{user_id:int}/tokens/{token_id:int}/revoke                         x . . . .
POST   /settings/users/{user_id:int}/tokens/{token_id:int}/revoke                         x . . . .
GET    /views/new                                                                         x x x x x
POST   /views/new                                                                         x x x x x
GET    /views/{view_id:int}/edit                                                          x x x x x
POST   /views/{view_id:int}/edit                                                          x x x x x
POST   /views/{view_id:int}/delete                                                        x x x x x
"""

# Pages that answer without a signed-in caller besides the open routes.
PUBLIC_PAGES = {
    "/login",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
    "/favicon.ico",
}


def _policy() -> dict[tuple[str, str], dict[Role, bool]]:
    policy: dict[tuple[str, str], dict[Role, bool]] = {}
    for line in POLICY_TABLE.strip().splitlines()[1:]:
        method, path, *marks = line.split()
        assert len(marks) == len(ROLES), line
        assert set(marks) <= {"x", "."}, line
        policy[(method, path)] = {
            role: mark == "x" for role, mark in zip(ROLES, marks, strict=True)
        }
    return policy


POLICY = _policy()


def test_the_table_lists_every_signed_in_route_and_no_other(app: FastAPI) -> None:
    served = set(guarded_routes(app))
    assert sorted(served - POLICY.keys()) == [], "routes missing from the policy table"
    assert sorted(POLICY.keys() - served) == [], "routes in the table the app no longer serves"


def test_every_route_either_checks_the_caller_or_is_open_by_design(app: FastAPI) -> None:
    unguarded = {
        (method, route.path)
        for route in all_routes(app.routes)
        if authorize_of(route) is None
        for method in route.methods
        if method != "HEAD"
    }
    assert {pair for pair in unguarded if pair[1] not in PUBLIC_PAGES} == OPEN_ROUTES


# The role check does not touch the database: the walk runs on SQLite only.
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_table_says(
    app: FastAPI,
    client: TestClient,
    headers_for: Callable[[str], dict[str, str]],
    role: Role,
) -> None:
    headers = headers_for(role.value)
    differing = [
        (method, path, "allowed" if expected else "403")
        for (method, path), by_role in sorted(POLICY.items())
        if answer(client, method, path, headers) != (expected := by_role[role])
    ]
    assert differing == [], f"the {role} role is answered differently than the table says"


def test_every_signed_in_route_refuses_anonymous_callers(app: FastAPI, client: TestClient) -> None:
    for method, path in guarded_routes(app):
        response = client.request(method, concrete(path), json={}, follow_redirects=False)
        if path.startswith("/api/"):
            assert (response.status_code, response.json()["code"]) == (401, "unauthenticated"), (
                method,
                path,
            )
        else:
            # Pages send the visitor to the login page (GET) or refuse the write.
            assert response.status_code in (303, 401), (method, path, response.status_code)
