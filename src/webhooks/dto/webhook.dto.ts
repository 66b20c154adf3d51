import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, ValidationArguments } from 'class-validator';
import { ApiExample, ApiTimestamp } from '../../common/api-properties.js';
import { PageMeta } from '../../common/pagination.js';
import { Description } from '../../common/validators.js';
import { CHANGE_TYPES, type ChangeType } from '../../changes/record.js';

const typesRule = {
  each: true,
  message: ({ property }: ValidationArguments) => `${property} must hold only these types: ${CHANGE_TYPES.join(', ')}`,
};

@ApiExample({
  url: 'https://203.0.113.10/dreamlake',
  types: ['dataset.tag.moved'],
  description: 'Retrain on production',
})
export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://203.0.113.10/dreamlake',
    maxLength: 2048,
    description: 'https (http only with WEBHOOK_ALLOW_HTTP)',
  })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({
    type: [String],
    enum: CHANGE_TYPES,
    description: 'Only changes of these types; empty or left out: all',
  })
  @IsOptional()
  @IsIn(CHANGE_TYPES, typesRule)
  types?: ChangeType[];

  @Description({ optional: true })
  description?: string | null;
}

@ApiExample({ enabled: true })
export class UpdateWebhookDto {
  @ApiPropertyOptional({ example: 'https://203.0.113.10/dreamlake', maxLength: 2048 })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ type: [String], enum: CHANGE_TYPES })
  @IsOptional()
  @IsIn(CHANGE_TYPES, typesRule)
  types?: ChangeType[];

  @ApiPropertyOptional({
    description: 'false pauses deliveries; true resumes them (also after it was disabled for failing)',
  })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ example: 'https://203.0.113.10/dreamlake' }) url: string;
  @ApiProperty({ type: [String], example: ['dataset.tag.moved'], description: 'Types delivered; empty: all' })
  types: string[];
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiTimestamp() createdAt: string;
  @ApiProperty({ description: 'false: paused, or disabled after failing WEBHOOK_RETRY_HOURS' }) enabled: boolean;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'The signing secret: shown only here',
  })
  secret: string;
}

export class RotatedSecretDto extends CreatedWebhookDto {}

export class WebhookPageDto extends PageMeta {
  @ApiProperty({ type: [WebhookDto] }) webhooks: WebhookDto[];
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export class DeliveryDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'Also its webhook-id header' }) id: string;
  @ApiProperty({ example: '42', description: 'The change delivered (its feed cursor)' }) cursor: string;
  @ApiProperty({ example: 'dataset.tag.moved' }) type: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status: (typeof DELIVERY_STATUSES)[number];
  @ApiProperty({ type: 'integer', example: 1 }) attempts: number;
  @ApiProperty({ type: 'integer', nullable: true, example: 200 }) lastStatusCode: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt: string | null;
}

export class DeliveryPageDto extends PageMeta {
  @ApiProperty({ type: [DeliveryDto], description: 'Newest first' }) deliveries: DeliveryDto[];
}

export class PingResultDto {
  @ApiProperty({ description: 'Whether the receiver answered 2xx within 10 s' }) delivered: boolean;
  @ApiProperty({ type: 'integer', nullable: true, example: 200 }) statusCode: number | null;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({ type: 'integer', example: 42 }) durationMs: number;
}
