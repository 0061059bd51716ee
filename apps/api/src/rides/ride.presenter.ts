import type { Ride } from '@app/rides-schema';

export interface RideBody {
  id: number;
  distance: number;
  user_id: number;
  created_at: string;
}

export function presentRide(ride: Ride): RideBody {
  return {
    id: ride.id,
    distance: ride.distance,
    user_id: ride.userId,
    created_at: ride.createdAt.toISOString(),
  };
}
