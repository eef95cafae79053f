"""Initial schema: every table of cmrt-bot 0.1 (until the first release the schema lives here).

Revision ID: 0001
Revises:
Create Date: 2026-11-25 18:01:40.287098
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=320), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=True),
    sa.Column('subject_id', sa.String(length=100), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name='pk_audit_events')
    )
    op.create_index('ix_audit_events_action', 'audit_events', ['action'])
    op.create_index('ix_audit_events_at', 'audit_events', ['at'])
    op.create_index('ix_audit_events_subject', 'audit_events', ['subject_type', 'subject_id'])

    op.create_table('bot_state',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name='pk_bot_state')
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('template_family', sa.String(length=16), nullable=False),
    sa.Column('min_template_version', sa.String(length=16), nullable=True),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('supplier_filter', sa.String(length=100), nullable=False),
    sa.Column('review_overrides', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name='pk_campaigns'),
    sa.UniqueConstraint('year', name='uq_campaigns_year')
    )
    op.create_table('heartbeats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('component', sa.String(length=64), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name='pk_heartbeats'),
    sa.UniqueConstraint('component', name='uq_heartbeats_component')
    )
    op.create_table('imap_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('folder', sa.String(length=255), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name='pk_imap_checkpoints'),
    sa.UniqueConstraint('folder', name='uq_imap_checkpoints_folder')
    )
    op.create_table('slack_interactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name='pk_slack_interactions'),
    sa.UniqueConstraint('dedupe_key', name='uq_slack_interactions_dedupe_key')
    )
    op.create_table('smelter_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('list_date', sa.Date(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name='pk_smelter_lists')
    )
    op.create_index('ix_smelter_lists_kind', 'smelter_lists', ['kind'])

    op.create_table('suppliers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('email_domains', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name='pk_suppliers'),
    sa.UniqueConstraint('external_id', name='uq_suppliers_external_id')
    )
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('role', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('last_bounce_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bounce_detail', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name='fk_contacts_supplier_id_suppliers', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='pk_contacts'),
    sa.UniqueConstraint('supplier_id', 'email', name='uq_contacts_supplier_id_email')
    )
    op.create_index('ix_contacts_email', 'contacts', ['email'])
    op.create_index('ix_contacts_supplier_id', 'contacts', ['supplier_id'])

    op.create_table('requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('token', sa.String(length=16), nullable=False),
    sa.Column('thread_message_id', sa.String(length=998), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_count', sa.Integer(), nullable=False),
    sa.Column('last_reminder_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clarification_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_count', sa.Integer(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('snoozed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assignee', sa.String(length=32), nullable=True),
    sa.Column('exception_reason', sa.Text(), nullable=True),
    sa.Column('slack_channel', sa.String(length=32), nullable=True),
    sa.Column('slack_ts', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name='fk_requests_campaign_id_campaigns', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name='fk_requests_supplier_id_suppliers', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='pk_requests'),
    sa.UniqueConstraint('campaign_id', 'supplier_id', name='uq_requests_campaign_id_supplier_id'),
    sa.UniqueConstraint('token', name='uq_requests_token')
    )
    op.create_index('ix_requests_campaign_id', 'requests', ['campaign_id'])
    op.create_index('ix_requests_next_due_at', 'requests', ['next_due_at'])
    op.create_index('ix_requests_state', 'requests', ['state'])
    op.create_index('ix_requests_supplier_id', 'requests', ['supplier_id'])

    op.create_table('smelter_list_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('metal', sa.String(length=32), nullable=True),
    sa.Column('smelter_id', sa.String(length=32), nullable=True),
    sa.Column('standard_name', sa.String(length=300), nullable=True),
    sa.Column('country', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=64), nullable=True),
    sa.Column('last_audit_date', sa.Date(), nullable=True),
    sa.Column('audit_cycle', sa.String(length=32), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['smelter_lists.id'], name='fk_smelter_list_entries_list_id_smelter_lists', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='pk_smelter_list_entries')
    )
    op.create_index('ix_smelter_list_entries_list_smelter', 'smelter_list_entries', ['list_id', 'smelter_id'])
    op.create_index('ix_smelter_list_entries_smelter_id', 'smelter_list_entries', ['smelter_id'])

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=False),
    sa.Column('in_reply_to', sa.String(length=998), nullable=True),
    sa.Column('references', sa.Text(), nullable=True),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('from_address', sa.String(length=320), nullable=True),
    sa.Column('to_addresses', sa.JSON(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('raw_sha256', sa.String(length=64), nullable=False),
    sa.Column('classification', sa.String(length=32), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('imap_folder', sa.String(length=255), nullable=True),
    sa.Column('imap_uid', sa.BigInteger(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name='fk_messages_request_id_requests', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name='pk_messages'),
    sa.UniqueConstraint('message_id', name='uq_messages_message_id')
    )
    op.create_index('ix_messages_from_address', 'messages', ['from_address'])
    op.create_index('ix_messages_raw_sha256', 'messages', ['raw_sha256'])
    op.create_index('ix_messages_request_id', 'messages', ['request_id'])

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=False),
    sa.Column('message_bytes', sa.LargeBinary(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name='fk_outbox_request_id_requests', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name='pk_outbox'),
    sa.UniqueConstraint('idempotency_key', name='uq_outbox_idempotency_key')
    )
    op.create_index('ix_outbox_request_id', 'outbox', ['request_id'])
    op.create_index('ix_outbox_state', 'outbox', ['state'])

    op.create_table('outreach_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name='fk_outreach_actions_campaign_id_campaigns', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name='fk_outreach_actions_request_id_requests', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='pk_outreach_actions'),
    sa.UniqueConstraint('key', name='uq_outreach_actions_key')
    )
    op.create_index('ix_outreach_actions_campaign_id', 'outreach_actions', ['campaign_id'])
    op.create_index('ix_outreach_actions_request_id', 'outreach_actions', ['request_id'])
    op.create_index('ix_outreach_actions_state', 'outreach_actions', ['state'])

    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('content_path', sa.String(length=1024), nullable=True),
    sa.Column('is_workbook', sa.Boolean(), nullable=False),
    sa.Column('detected_family', sa.String(length=16), nullable=True),
    sa.Column('detected_version', sa.String(length=16), nullable=True),
    sa.Column('parse_error_code', sa.String(length=64), nullable=True),
    sa.Column('parse_error', sa.Text(), nullable=True),
    sa.Column('declaration', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name='fk_submissions_message_id_messages', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name='fk_submissions_request_id_requests', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name='pk_submissions'),
    sa.UniqueConstraint('message_id', 'sha256', name='uq_submissions_message_id_sha256')
    )
    op.create_index('ix_submissions_message_id', 'submissions', ['message_id'])
    op.create_index('ix_submissions_request_id', 'submissions', ['request_id'])
    op.create_index('ix_submissions_sha256', 'submissions', ['sha256'])

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('grade', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('catalogue_version', sa.String(length=32), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name='fk_reviews_request_id_requests', ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name='fk_reviews_submission_id_submissions', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='pk_reviews')
    )
    op.create_index('ix_reviews_request_id', 'reviews', ['request_id'])
    op.create_index('ix_reviews_submission_id', 'reviews', ['submission_id'])



def downgrade() -> None:
    op.drop_index('ix_reviews_submission_id', table_name='reviews')
    op.drop_index('ix_reviews_request_id', table_name='reviews')

    op.drop_table('reviews')
    op.drop_index('ix_submissions_sha256', table_name='submissions')
    op.drop_index('ix_submissions_request_id', table_name='submissions')
    op.drop_index('ix_submissions_message_id', table_name='submissions')

    op.drop_index('ix_outreach_actions_state', table_name='outreach_actions')
    op.drop_index('ix_outreach_actions_request_id', table_name='outreach_actions')
    op.drop_index('ix_outreach_actions_campaign_id', table_name='outreach_actions')
    op.drop_table('outreach_actions')
    op.drop_table('submissions')
    op.drop_index('ix_outbox_state', table_name='outbox')
    op.drop_index('ix_outbox_request_id', table_name='outbox')

    op.drop_table('outbox')
    op.drop_index('ix_messages_request_id', table_name='messages')
    op.drop_index('ix_messages_raw_sha256', table_name='messages')
    op.drop_index('ix_messages_from_address', table_name='messages')

    op.drop_table('messages')
    op.drop_index('ix_smelter_list_entries_smelter_id', table_name='smelter_list_entries')
    op.drop_index('ix_smelter_list_entries_list_smelter', table_name='smelter_list_entries')

    op.drop_table('smelter_list_entries')
    op.drop_index('ix_requests_supplier_id', table_name='requests')
    op.drop_index('ix_requests_state', table_name='requests')
    op.drop_index('ix_requests_next_due_at', table_name='requests')
    op.drop_index('ix_requests_campaign_id', table_name='requests')

    op.drop_table('requests')
    op.drop_index('ix_contacts_supplier_id', table_name='contacts')
    op.drop_index('ix_contacts_email', table_name='contacts')

    op.drop_table('contacts')
    op.drop_table('suppliers')
    op.drop_index('ix_smelter_lists_kind', table_name='smelter_lists')

    op.drop_table('smelter_lists')
    op.drop_table('slack_interactions')
    op.drop_table('imap_checkpoints')
    op.drop_table('heartbeats')
    op.drop_table('campaigns')
    op.drop_table('bot_state')
    op.drop_index('ix_audit_events_subject', table_name='audit_events')
    op.drop_index('ix_audit_events_at', table_name='audit_events')
    op.drop_index('ix_audit_events_action', table_name='audit_events')

    op.drop_table('audit_events')
